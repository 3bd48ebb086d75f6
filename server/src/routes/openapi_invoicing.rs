//! OpenAPI paths of "Mes Factures": tariffs, quotients, attendance, the monthly run,
//! invoices, credit notes, payments, exports and annual statements.

use super::openapi::{error_response, merge};
use serde_json::{Value, json};

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"},
        "description": description})
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn json_answer(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn any_object() -> Value {
    json!({"type": "object"})
}

pub fn add(spec: &mut Value) {
    let month = path_param("month", "YYYY-MM, the month billed");
    let number = path_param("number", "Document number, e.g. F2026-000042");
    let family = path_param("family_id", "The family");
    let year = path_param("year", "Calendar year, e.g. 2026");
    let activity = path_param("activity_id", "Activity of the catalogue");
    let date = path_param("date", "YYYY-MM-DD");
    let auth = json!([{"device": []}]);
    let pdf = json!({"description": "The PDF (attachment)", "content": {"application/pdf": {}}});
    let invoice = json!({"$ref": "#/components/schemas/InvoiceDetail"});
    let payment = json!({"$ref": "#/components/schemas/Payment"});
    let paths = json!({
        "/api/v1/staff/catalogue/activities/{activity_id}/tariff": {
            "put": {
                "summary": "Set an activity's tariff (priced on phones offline with the same rules)",
                "description": "`price`: `flat` {cents}, `qf_bands` {bands: [{from_qf, cents}]} or \
                    `qf_percentage` {rate_millipercent, floor_cents, ceiling_cents}; `sibling`: \
                    `percent_off` {by_rank} or `price_per_rank` {cents}; `pai_meal_cents`; \
                    `unbooked_presence` and `late_cancellation`: `extra` or `fixed_price` {cents}; \
                    `packages`: [{label, span: week | period, price}]; `rounding`.",
                "security": auth, "parameters": [activity],
                "requestBody": json_body(any_object()),
                "responses": {"200": json_answer("The activity with its tariff", any_object()),
                    "400": error_response("bad_request: the inconsistency is explained"),
                    "403": error_response("forbidden: administrators only"),
                    "404": error_response("not_found")}
            },
            "delete": {
                "summary": "Remove an activity's tariff (the activity is no longer billed)",
                "security": auth, "parameters": [activity],
                "responses": {"200": json_answer("The activity", any_object()),
                    "404": error_response("not_found")}
            }
        },
        "/api/v1/staff/catalogue/billing": {"put": {
            "summary": "Billing settings: post-paid or prepaid, issuer identity and legal mentions, \
                payment delay, late registration fee, blocking of bookings while an invoice is overdue",
            "security": auth,
            "requestBody": json_body(any_object()),
            "responses": {"200": json_answer("The billing settings", any_object()),
                "400": error_response("bad_request")}
        }},
        "/api/v1/staff/families/{family_id}/quotient": {
            "get": {
                "summary": "The family's quotient familial history (each applies from a month)",
                "security": auth, "parameters": [family],
                "responses": {"200": json_answer("History", any_object()),
                    "404": error_response("not_found")}
            },
            "put": {
                "summary": "Record a new quotient familial: it applies from next month, never backdated",
                "security": auth, "parameters": [family],
                "requestBody": json_body(json!({"type": "object", "properties": {
                    "qf": {"type": ["integer", "null"]}}})),
                "responses": {"200": json_answer("History", any_object()),
                    "400": error_response("bad_request"), "404": error_response("not_found")}
            }
        },
        "/api/v1/staff/attendance/{date}/{activity_id}": {
            "get": {
                "summary": "Attendance sheet: booked children and children marked without booking",
                "security": auth, "parameters": [date, activity],
                "responses": {"200": json_answer("The sheet", any_object()),
                    "404": error_response("not_found")}
            },
            "put": {
                "summary": "Mark children present, absent or absent with justification (null clears)",
                "security": auth, "parameters": [date, activity],
                "requestBody": json_body(json!({"type": "object", "required": ["marks"],
                    "properties": {"marks": {"type": "array", "items": {"type": "object",
                        "required": ["child_id"], "properties": {
                            "child_id": {"type": "string"},
                            "status": {"type": ["string", "null"],
                                "enum": ["present", "absent", "absent_justified", null]},
                            "note": {"type": "string"}}}}}})),
                "responses": {"200": json_answer("The sheet", any_object()),
                    "400": error_response("bad_request"), "404": error_response("not_found")}
            }
        },
        "/api/v1/staff/attendance/{date}/{activity_id}/all-present": {"post": {
            "summary": "Mark every booked child present (declared absences and existing marks kept)",
            "security": auth, "parameters": [date, activity],
            "responses": {"200": json_answer("How many were marked, and the sheet", any_object())}
        }},
        "/api/v1/staff/invoicing/{month}/preview": {"get": {
            "summary": "Draft invoices of the month per family (lines, refunds, totals); nothing stored",
            "security": auth, "parameters": [month],
            "responses": {"200": json_answer("Drafts", any_object()),
                "400": error_response("bad_request: month"),
                "403": error_response("forbidden: administrators only")}
        }},
        "/api/v1/staff/invoicing/{month}/issue": {"post": {
            "summary": "Issue the month's invoices (sequential numbers per structure and year; \
                a family already invoiced for the month is skipped, so issuing twice is harmless)",
            "security": auth, "parameters": [month],
            "responses": {"200": json_answer("Numbers issued, totals, families skipped", any_object()),
                "400": error_response("bad_request: month not started")}
        }},
        "/api/v1/staff/invoicing/{month}/export.csv": {"get": {
            "summary": "The month's documents and payments for the accounting software \
                (semicolon-separated, decimal comma, UTF-8)",
            "security": auth, "parameters": [month],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}}
        }},
        "/api/v1/staff/invoices": {"get": {
            "summary": "Invoices, credit notes and statements, by month or family",
            "security": auth,
            "parameters": [
                {"name": "month", "in": "query", "schema": {"type": "string"}},
                {"name": "family_id", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": json_answer("Summaries with what remains to pay and the status",
                json!({"type": "array", "items": any_object()}))}
        }},
        "/api/v1/staff/invoices/{number}": {"get": {
            "summary": "One document as issued (never changes) with its payment status",
            "security": auth, "parameters": [number],
            "responses": {"200": json_answer("The document", invoice.clone()),
                "404": error_response("not_found")}
        }},
        "/api/v1/staff/invoices/{number}/pdf": {"get": {
            "summary": "The document's PDF", "security": auth, "parameters": [number],
            "responses": {"200": pdf.clone(), "404": error_response("not_found")}
        }},
        "/api/v1/staff/invoices/{number}/credit-notes": {"post": {
            "summary": "Issue a credit note referencing the invoice (at most what is not credited yet)",
            "security": auth, "parameters": [number],
            "requestBody": json_body(json!({"type": "object", "required": ["amount_cents", "reason"],
                "properties": {"amount_cents": {"type": "integer", "minimum": 1},
                    "reason": {"type": "string"}}})),
            "responses": {"200": json_answer("The credit note", invoice),
                "400": error_response("bad_request"),
                "404": error_response("not_found"),
                "409": error_response("conflict: more than the invoice still has")}
        }},
        "/api/v1/staff/payments": {
            "get": {
                "summary": "Payments received between two dates",
                "security": auth,
                "parameters": [
                    {"name": "from", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": json_answer("Payments", json!({"type": "array", "items": payment}))}
            },
            "post": {
                "summary": "Record a payment (partial payments allowed)",
                "security": auth,
                "requestBody": json_body(json!({"type": "object",
                    "required": ["family_id", "method", "amount_cents"], "properties": {
                        "family_id": {"type": "string"},
                        "method": {"type": "string",
                            "enum": ["card", "cheque", "cash", "transfer", "cesu", "direct_debit"]},
                        "amount_cents": {"type": "integer", "minimum": 1},
                        "received_on": {"type": "string", "format": "date", "description": "Today when absent"},
                        "invoice_number": {"type": "string", "description": "Goes first to this invoice, \
                            then to the oldest open ones"},
                        "reference": {"type": "string"}}})),
                "responses": {"200": json_answer("The payment", payment),
                    "400": error_response("bad_request"), "404": error_response("not_found")}
            }
        },
        "/api/v1/staff/families/{family_id}/ledger": {"get": {
            "summary": "The family's ledger: documents with what remains, payments, balance",
            "security": auth, "parameters": [family],
            "responses": {"200": json_answer("Ledger", any_object()),
                "404": error_response("not_found")}
        }},
        "/api/v1/staff/families/{family_id}/annual-statement/{year}": {"get": {
            "summary": "Amounts paid in the year per child (childcare tax credit)",
            "security": auth, "parameters": [family, year],
            "responses": {"200": json_answer("Statement", any_object()),
                "404": error_response("not_found")}
        }},
        "/api/v1/staff/families/{family_id}/annual-statement/{year}/pdf": {"get": {
            "summary": "The annual statement as a PDF", "security": auth,
            "parameters": [family, year],
            "responses": {"200": pdf.clone(), "404": error_response("not_found")}
        }},
        "/api/v1/invoices/{number}/pdf": {"get": {
            "summary": "A PDF of the caller's family (phones keep it for offline reading; \
                its SHA-256 is in the ledger document)",
            "security": auth, "parameters": [number],
            "responses": {"200": pdf.clone(), "401": error_response("unauthorized"),
                "404": error_response("not_found: another family's number too")}
        }},
        "/api/v1/annual-statement/{year}": {"get": {
            "summary": "The caller's family's annual statement of amounts paid",
            "security": auth, "parameters": [year],
            "responses": {"200": json_answer("Statement", any_object())}
        }},
        "/api/v1/annual-statement/{year}/pdf": {"get": {
            "summary": "The caller's family's annual statement as a PDF",
            "security": auth, "parameters": [year],
            "responses": {"200": pdf}
        }}
    });
    let schemas = json!({
        "InvoiceDetail": {"type": "object", "properties": {
            "summary": {"type": "object", "properties": {
                "number": {"type": "string"},
                "kind": {"type": "string", "enum": ["invoice", "credit_note", "statement"]},
                "family_id": {"type": "string"}, "billing_name": {"type": "string"},
                "month": {"type": "string"}, "issued_on": {"type": "string", "format": "date"},
                "due_on": {"type": "string"}, "total_cents": {"type": "integer"},
                "remaining_cents": {"type": "integer"},
                "refers_to": {"type": "string", "description": "For a credit note, its invoice"},
                "status": {"type": "string",
                    "enum": ["paid", "partially_paid", "unpaid", "overdue", "nothing_due"]}}},
            "content": {"type": "object", "description": "Everything printed, frozen at issue: \
                issuer, family, lines, totals, due date, payment reference"}}},
        "Payment": {"type": "object", "properties": {
            "id": {"type": "string"}, "family_id": {"type": "string"},
            "method": {"type": "string"}, "amount_cents": {"type": "integer"},
            "received_on": {"type": "string", "format": "date"},
            "invoice_number": {"type": "string"}, "reference": {"type": "string"}}}
    });
    merge(spec, paths, schemas);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_api_description_lists_the_invoicing_routes() {
        let spec = super::super::openapi::spec();
        for (path, method) in [
            ("/api/v1/staff/invoicing/{month}/issue", "post"),
            ("/api/v1/staff/invoices/{number}/credit-notes", "post"),
            ("/api/v1/staff/payments", "post"),
            ("/api/v1/staff/attendance/{date}/{activity_id}", "put"),
            ("/api/v1/invoices/{number}/pdf", "get"),
        ] {
            assert!(
                spec["paths"][path][method].is_object(),
                "{method} {path} is described"
            );
        }
        assert!(spec["components"]["schemas"]["InvoiceDetail"].is_object());
    }
}
