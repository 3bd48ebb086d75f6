//! OpenAPI of the staff API's configuration and daily work: catalogue, lists and counts,
//! decision overrides, dossier review.

use super::openapi::{error_response, merge};
use serde_json::{Value, json};

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "string"}})
}

/// Adds the staff configuration and daily-work routes to `spec`.
pub fn add(spec: &mut Value) {
    let catalogue = json_ok("The structure's catalogue", schema_ref("Catalogue"));
    let activity = path_param(
        "activity_id",
        "Activity id: lower-case letters, digits, - and _ (e.g. cantine)",
    );
    let family = path_param("family_id", "A family of the caller's structure");
    let review = json_ok(
        "The review written into the family's dossier",
        json!({"type": "object"}),
    );
    let paths = json!({
        "/api/v1/staff/catalogue": {"get": {
            "summary": "The structure's catalogue (activities, rules, closures, contact)",
            "security": [{"device": []}],
            "responses": {"200": catalogue.clone()}
        }},
        "/api/v1/staff/catalogue/activities/{activity_id}": {
            "put": {
                "summary": "Create or replace an activity (administrators)",
                "description": "Booking and cancellation rules each have a `kind`: \
                    days_before {days, at, skip_weekends, skip_public_holidays, \
                    skip_weekdays}, weekday_of_previous_week {weekday, at, weeks_before}, \
                    day_of_previous_month {day, at}, hours_before {hours}, read_only_from \
                    {from, period_from, period_to}, window {opens, closes}; local times in \
                    Europe/Paris. Families receive the catalogue at their next sync.",
                "security": [{"device": []}],
                "parameters": [activity.clone()],
                "requestBody": json_body(schema_ref("Activity")),
                "responses": {"200": catalogue.clone(),
                    "400": error_response("bad_request: names the faulty field"),
                    "403": error_response("forbidden: administrators only")}
            },
            "delete": {
                "summary": "Remove an activity (administrators)",
                "security": [{"device": []}],
                "parameters": [activity.clone()],
                "responses": {"204": {"description": "Removed"},
                    "403": error_response("forbidden: administrators only"),
                    "404": error_response("not_found: no such activity")}
            }
        },
        "/api/v1/staff/catalogue/closures": {"put": {
            "summary": "Replace the closed periods (administrators)",
            "description": "Bookings holding a place on a day a new closure closes, from \
                today on, are cancelled by the structure (not billed, the closure's label \
                as the reason, places released); removing a closure books nobody again.",
            "security": [{"device": []}],
            "requestBody": json_body(json!({"type": "array", "items": schema_ref("Closure")})),
            "responses": {"200": catalogue.clone(),
                "400": error_response("bad_request: a date or an activity is wrong"),
                "403": error_response("forbidden: administrators only")}
        }},
        "/api/v1/staff/catalogue/closures/preview": {"post": {
            "summary": "How many bookings replacing the closed periods with this list would cancel",
            "description": "Changes nothing. Counts the bookings holding a place, from today \
                on, on the days the list closes, in total and per closure of the list.",
            "security": [{"device": []}],
            "requestBody": json_body(json!({"type": "array", "items": schema_ref("Closure")})),
            "responses": {"200": json_ok("What the list would cancel", json!({
                    "type": "object",
                    "required": ["cancelled_bookings", "families", "closures"],
                    "properties": {
                        "cancelled_bookings": {"type": "integer", "minimum": 0},
                        "families": {"type": "integer", "minimum": 0},
                        "closures": {"type": "array", "items": {
                            "type": "object",
                            "required": ["label", "from", "to", "cancelled_bookings"],
                            "properties": {
                                "label": {"type": "string"},
                                "from": {"type": "string"},
                                "to": {"type": "string"},
                                "cancelled_bookings": {"type": "integer", "minimum": 0}}}}}})),
                "400": error_response("bad_request: a date or an activity is wrong")}
        }},
        "/api/v1/staff/catalogue/settings": {"put": {
            "summary": "Structure name, contact details, opening on public holidays (administrators)",
            "security": [{"device": []}],
            "requestBody": json_body(json!({"type": "object", "additionalProperties": false,
                "properties": {
                    "structure_name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "contact": schema_ref("Contact"),
                    "open_on_public_holidays": {"type": "boolean"}}})),
            "responses": {"200": catalogue,
                "400": error_response("bad_request"),
                "403": error_response("forbidden: administrators only")}
        }},
        "/api/v1/staff/days/{date}/activities/{activity_id}": {"get": {
            "summary": "Children expected on a day, with class, diet, allergies and PAI",
            "description": "Reading it is recorded in the audit log (health and diet data).",
            "security": [{"device": []}],
            "parameters": [
                {"name": "date", "in": "path", "required": true,
                    "schema": {"type": "string", "format": "date"}},
                activity.clone()],
            "responses": {"200": json_ok("The day's list", json!({"type": "object",
                    "required": ["date", "activity_id", "children"],
                    "properties": {"date": {"type": "string"},
                        "activity_id": {"type": "string"},
                        "children": {"type": "array", "items": {"type": "object"}}}})),
                "400": error_response("bad_request: not a date"),
                "404": error_response("not_found: no such activity")}
        }},
        "/api/v1/staff/counts": {"get": {
            "summary": "Places taken per activity and day over a date range (92 days at most)",
            "security": [{"device": []}],
            "parameters": [
                {"name": "from", "in": "query", "required": true,
                    "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": true,
                    "schema": {"type": "string", "format": "date"}}],
            "responses": {"200": json_ok("Counts", json!({"type": "array", "items": {
                    "type": "object", "properties": {"date": {"type": "string"},
                        "activity_id": {"type": "string"}, "count": {"type": "integer"},
                        "absent": {"type": "integer"}}}})),
                "400": error_response("bad_request: missing or wrong dates")}
        }},
        "/api/v1/staff/decisions": {"post": {
            "summary": "Override a decision with a reason shown to the family",
            "security": [{"device": []}],
            "requestBody": json_body(json!({"type": "object",
                "required": ["family_id", "child_id", "date", "activity_id", "outcome", "reason"],
                "properties": {"family_id": {"type": "string"}, "child_id": {"type": "string"},
                    "date": {"type": "string", "format": "date"},
                    "activity_id": {"type": "string"},
                    "outcome": {"type": "string",
                        "enum": ["accepted", "refused", "cancelled", "kept_billable"]},
                    "reason": {"type": "string", "maxLength": 500}}})),
            "responses": {"200": json_ok("The decision written", json!({"type": "object"})),
                "400": error_response("bad_request"),
                "404": error_response("not_found: no such request in this structure")}
        }},
        "/api/v1/staff/dossiers": {"get": {
            "summary": "Families whose latest dossier submission has a status",
            "security": [{"device": []}],
            "parameters": [{"name": "status", "in": "query", "required": false,
                "schema": {"type": "string", "enum": ["pending", "approved", "rejected"],
                    "default": "pending"}}],
            "responses": {"200": json_ok("Oldest submission first",
                    json!({"type": "array", "items": {"type": "object"}})),
                "400": error_response("bad_request: unknown status")}
        }},
        "/api/v1/staff/dossiers/{family_id}": {"get": {
            "summary": "A family's dossier with its changes since the last approved version",
            "description": "Field by field (path such as children/<id>/diet, old and new \
                value, the parents who changed it and when), compared with the last \
                approved version or the dossier as the structure created it, up to the \
                pending submission. Says when a quotient familial certificate is needed. \
                Reading it is recorded in the audit log (health and diet data).",
            "security": [{"device": []}],
            "parameters": [family.clone()],
            "responses": {"200": json_ok("DossierReview", json!({"type": "object"})),
                "404": error_response("not_found: no such family in this structure")}
        }},
        "/api/v1/staff/dossiers/{family_id}/approve": {"post": {
            "summary": "Approve the pending submission",
            "description": "Optional body {version_id}: refused with 409 if a newer \
                submission replaced that version.",
            "security": [{"device": []}],
            "parameters": [family.clone()],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": false,
                "properties": {"version_id": {"type": "integer"}}}}}},
            "responses": {"200": review.clone(),
                "400": error_response("bad_request"),
                "404": error_response("not_found"),
                "409": error_response("conflict: nothing pending, or a newer submission")}
        }},
        "/api/v1/staff/dossiers/{family_id}/reject": {"post": {
            "summary": "Reject the pending submission with a reason shown to the family",
            "security": [{"device": []}],
            "parameters": [family.clone()],
            "requestBody": json_body(json!({"type": "object", "required": ["reason"],
                "additionalProperties": false,
                "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500},
                    "version_id": {"type": "integer"}}})),
            "responses": {"200": review,
                "400": error_response("bad_request: missing reason"),
                "404": error_response("not_found"),
                "409": error_response("conflict: nothing pending, or a newer submission")}
        }}
    });
    let schemas = json!({
        "Contact": {"type": "object", "properties": {
            "phone": {"type": "string", "maxLength": 40},
            "email": {"type": "string", "maxLength": 200},
            "address": {"type": "string", "maxLength": 500},
            "opening_hours": {"type": "string", "maxLength": 1000}}},
        "Closure": {"type": "object", "required": ["from", "to", "label"], "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "label": {"type": "string", "maxLength": 200},
            "activities": {"type": "array", "items": {"type": "string"}}}},
        "Activity": {"type": "object", "required": ["name", "kind", "weekdays"],
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "kind": {"type": "string"},
                "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 1,
                    "maximum": 7}},
                "start_time": {"type": "string", "description": "HH:MM"},
                "first_day": {"type": "string"}, "last_day": {"type": "string"},
                "capacity": {"type": ["integer", "null"], "minimum": 0},
                "eligibility": {"type": "object"},
                "booking_rules": {"type": "array", "items": {"type": "object",
                    "required": ["kind"]}},
                "cancel_rules": {"type": "array", "items": {"type": "object",
                    "required": ["kind"]}},
                "requires_approved_dossier": {"type": "boolean"},
                "required_documents": {"type": "array", "items": {"type": "string"}},
                "absence": {"type": "object"}}},
        "Catalogue": {"type": "object", "required": ["structure_name", "activities"],
            "properties": {
                "structure_name": {"type": "string"},
                "contact": {"$ref": "#/components/schemas/Contact"},
                "activities": {"type": "object",
                    "additionalProperties": {"$ref": "#/components/schemas/Activity"}},
                "closures": {"type": "array", "items": {"$ref": "#/components/schemas/Closure"}},
                "open_on_public_holidays": {"type": "boolean"},
                "information": {"type": "object"},
                "downloads": {"type": "object"}}}
    });
    merge(spec, paths, schemas);
}
