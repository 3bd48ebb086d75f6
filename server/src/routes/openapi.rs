//! `GET /api/openapi.json`: the HTTP API described in OpenAPI 3.1.

use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(spec()) }))
}

pub(crate) fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

/// The OpenAPI document.
pub fn spec() -> Value {
    let mut spec = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cartable API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Family portal for after-school services. Families authenticate \
                each device with `POST /api/v1/login` and send the token as \
                `Authorization: Bearer <token>`. Every error answers the `Error` shape with a \
                stable `code` and a French `message`."
        },
        "paths": {
            "/healthz": {"get": {
                "summary": "Liveness, version and storage backend",
                "responses": {"200": {"description": "Up", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}}}
            }},
            "/api/v1/login": {"post": {
                "summary": "Log a parent in on one device; returns that device's token",
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/LoginRequest"}}}},
                "responses": {
                    "200": {"description": "Logged in", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/LoginResponse"}}}},
                    "400": error_response("bad_request"),
                    "401": error_response("unauthorized: wrong login or password"),
                    "403": error_response("forbidden: staff account"),
                    "429": error_response("rate_limited: too many failed attempts")
                }
            }},
            "/api/v1/logout": {"post": {
                "summary": "Revoke the calling device's token",
                "security": [{"device": []}],
                "responses": {"204": {"description": "Revoked"},
                    "401": error_response("unauthorized")}
            }},
            "/api/v1/devices": {"get": {
                "summary": "Devices signed in with the caller's login",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Devices", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Device"}}}}},
                    "401": error_response("unauthorized")}
            }},
            "/api/v1/devices/{device_id}": {"delete": {
                "summary": "Revoke one of the caller's devices",
                "security": [{"device": []}],
                "parameters": [{"name": "device_id", "in": "path", "required": true,
                    "schema": {"type": "string"}}],
                "responses": {"204": {"description": "Revoked"},
                    "401": error_response("unauthorized"),
                    "404": error_response("not_found")}
            }},
            "/api/v1/staff/login": {"post": {
                "summary": "Log a member of staff in; returns a bearer token for the staff API",
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/LoginRequest"}}}},
                "responses": {"200": {"description": "Logged in (token, role)"},
                    "401": error_response("unauthorized"),
                    "403": error_response("forbidden: family account"),
                    "429": error_response("rate_limited")}
            }},
            "/api/v1/staff/catalogue": {"get": {
                "summary": "The structure's catalogue (activities, rules, closures, contact)",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Catalogue"},
                    "403": error_response("forbidden: not staff")}
            }},
            "/api/v1/staff/catalogue/activities/{activity_id}": {
                "put": {
                    "summary": "Create or replace an activity (administrators)",
                    "description": "Body: name, kind, weekdays (1 = Monday), start_time \
                        (HH:MM), first_day/last_day, capacity, eligibility {min_age_years, \
                        max_age_years, classes}, booking_rules and cancel_rules (each rule has a \
                        `kind`: days_before {days, at, skip_weekends, skip_public_holidays, \
                        skip_weekdays}, weekday_of_previous_week {weekday, at, weeks_before}, \
                        day_of_previous_month {day, at}, hours_before {hours}, read_only_from \
                        {from, period_from, period_to}, window {opens, closes}; local times in \
                        Europe/Paris), requires_approved_dossier, required_documents, absence \
                        {same_day_billed, free_before, medical_note_days, \
                        billed_days_even_with_note}. Families receive the catalogue at their \
                        next sync.",
                    "security": [{"device": []}],
                    "parameters": [{"name": "activity_id", "in": "path", "required": true,
                        "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "Updated catalogue"},
                        "400": error_response("bad_request: names the faulty field"),
                        "403": error_response("forbidden: administrators only")}
                },
                "delete": {
                    "summary": "Remove an activity (administrators)",
                    "security": [{"device": []}],
                    "parameters": [{"name": "activity_id", "in": "path", "required": true,
                        "schema": {"type": "string"}}],
                    "responses": {"204": {"description": "Removed"},
                        "404": error_response("not_found")}
                }
            },
            "/api/v1/staff/catalogue/closures": {"put": {
                "summary": "Replace the closed periods [{from, to, label, activities}]",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Updated catalogue"},
                    "400": error_response("bad_request")}
            }},
            "/api/v1/staff/catalogue/settings": {"put": {
                "summary": "Structure name, contact details, opening on public holidays",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Updated catalogue"},
                    "400": error_response("bad_request")}
            }},
            "/api/v1/staff/days/{date}/activities/{activity_id}": {"get": {
                "summary": "Children expected on a day, with class, diet, allergies and PAI \
                    (access is recorded in the audit log)",
                "security": [{"device": []}],
                "parameters": [
                    {"name": "date", "in": "path", "required": true,
                        "schema": {"type": "string", "format": "date"}},
                    {"name": "activity_id", "in": "path", "required": true,
                        "schema": {"type": "string"}}],
                "responses": {"200": {"description": "List"},
                    "400": error_response("bad_request")}
            }},
            "/api/v1/staff/counts": {"get": {
                "summary": "Places taken per activity and day over a date range",
                "security": [{"device": []}],
                "parameters": [
                    {"name": "from", "in": "query", "required": true,
                        "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "required": true,
                        "schema": {"type": "string", "format": "date"}}],
                "responses": {"200": {"description": "[{date, activity_id, count}]"},
                    "400": error_response("bad_request")}
            }},
            "/api/v1/staff/decisions": {"post": {
                "summary": "Override a decision with a reason shown to the family",
                "description": "Body: family_id, child_id, date, activity_id, outcome \
                    (accepted, refused, cancelled, kept_billable), reason.",
                "security": [{"device": []}],
                "responses": {"200": {"description": "The decision written"},
                    "400": error_response("bad_request"),
                    "404": error_response("not_found: no such request in this structure")}
            }},
            "/api/v1/staff/dossiers": {"get": {
                "summary": "Families whose latest dossier submission has a status",
                "security": [{"device": []}],
                "parameters": [{"name": "status", "in": "query", "required": false,
                    "schema": {"type": "string", "enum": ["pending", "approved", "rejected"],
                        "default": "pending"}}],
                "responses": {"200": {"description": "[{family_id, family_name, version, \
                    requested_documents}], oldest submission first"},
                    "400": error_response("bad_request")}
            }},
            "/api/v1/staff/dossiers/{family_id}": {"get": {
                "summary": "A family's dossier with its changes since the last approved version",
                "description": "Field by field (path such as children/<id>/diet, old and new \
                    value, the parents who changed it and when), compared with the last \
                    approved version or the dossier as the structure created it, up to the \
                    pending submission. Says when a quotient familial certificate is needed. \
                    Reading it is recorded in the audit log (health and diet data).",
                "security": [{"device": []}],
                "responses": {"200": {"description": "DossierReview"},
                    "404": error_response("not_found: no such family in this structure")}
            }},
            "/api/v1/staff/dossiers/{family_id}/approve": {"post": {
                "summary": "Approve the pending submission",
                "description": "Optional body {version_id}: refused with 409 if a newer \
                    submission replaced that version. Writes review = approved into the \
                    family's dossier.",
                "security": [{"device": []}],
                "responses": {"200": {"description": "The review written"},
                    "404": error_response("not_found"),
                    "409": error_response("conflict: nothing pending, or a newer submission")}
            }},
            "/api/v1/staff/dossiers/{family_id}/reject": {"post": {
                "summary": "Reject the pending submission with a reason shown to the family",
                "description": "Body {reason, version_id?}; reason required (500 characters \
                    at most).",
                "security": [{"device": []}],
                "responses": {"200": {"description": "The review written"},
                    "400": error_response("bad_request: missing reason"),
                    "404": error_response("not_found"),
                    "409": error_response("conflict: nothing pending, or a newer submission")}
            }},
            "/api/v1/sync": {"post": {
                "summary": "Sync all of a device's documents in one round trip",
                "description": "Body and response are CBOR (RFC 8949). The request holds, per \
                    document, an Automerge sync message (a CBOR byte string, Automerge's own \
                    binary sync encoding) or nothing. The server merges each message, writes \
                    its decisions, makes everything durable, and only then answers with its \
                    own sync message per document, the list of documents the family may see \
                    (new ones included), the server clock, and the paths it wrote back over \
                    values the family may not write. A device repeats until neither side has \
                    anything to send; an up-to-date device finishes in one request. Sending \
                    the same request twice is harmless.",
                "security": [{"device": []}],
                "requestBody": {"required": true, "content": {"application/cbor": {
                    "schema": {"$ref": "#/components/schemas/SyncRequest"}}}},
                "responses": {
                    "200": {"description": "Replies", "content": {"application/cbor": {
                        "schema": {"$ref": "#/components/schemas/SyncResponse"}}}},
                    "400": error_response("malformed_sync, protocol_too_new"),
                    "401": error_response("unauthorized: missing, bad or revoked token"),
                    "404": error_response("not_found: a document the family may not see"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("malformed_sync: not application/cbor"),
                    "426": error_response("protocol_too_old: update the app")
                }
            }}
        },
        "components": {
            "securitySchemes": {"device": {"type": "http", "scheme": "bearer",
                "description": "256-bit device token from /api/v1/login (64 hex digits)"}},
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "enum": ["bad_request", "malformed_sync",
                        "unauthorized", "forbidden", "not_found", "payload_too_large",
                        "rate_limited", "protocol_too_old", "protocol_too_new", "conflict",
                        "unavailable", "internal", "unsupported_media_type"]},
                    "message": {"type": "string", "description": "French, for people"}}},
                "Health": {"type": "object", "properties": {"status": {"type": "string"},
                    "version": {"type": "string"}, "backend": {"type": "string",
                    "enum": ["sqlite", "postgres"]}}},
                "LoginRequest": {"type": "object", "required": ["login", "password"],
                    "properties": {"login": {"type": "string"}, "password": {"type": "string"},
                    "device_name": {"type": "string"}}},
                "LoginResponse": {"type": "object", "properties": {
                    "token": {"type": "string"}, "device_id": {"type": "string"},
                    "account_id": {"type": "string"}, "family_id": {"type": "string"},
                    "structure_id": {"type": "string"}, "display_name": {"type": "string"}}},
                "Device": {"type": "object", "properties": {"device_id": {"type": "string"},
                    "name": {"type": "string"}, "created_at_ms": {"type": "integer"},
                    "last_seen_ms": {"type": ["integer", "null"]},
                    "current": {"type": "boolean"}}},
                "DocMessage": {"type": "object", "required": ["doc_id"], "properties": {
                    "doc_id": {"type": "string"},
                    "message": {"description": "CBOR byte string: an Automerge sync message, \
                        or null", "type": ["string", "null"], "contentEncoding": "binary"}}},
                "SyncRequest": {"type": "object", "required": ["protocol", "docs"],
                    "properties": {"protocol": {"type": "integer", "description":
                        format!("protocol version, currently {}",
                            cartable_domain::protocol::PROTOCOL_VERSION)},
                    "docs": {"type": "array", "items": {"$ref": "#/components/schemas/DocMessage"}}}},
                "SyncResponse": {"type": "object", "properties": {
                    "protocol": {"type": "integer"},
                    "server_time_ms": {"type": "integer"},
                    "docs": {"type": "array", "items": {"$ref": "#/components/schemas/DocMessage"}},
                    "available": {"type": "array", "items": {"type": "object", "properties": {
                        "doc_id": {"type": "string"},
                        "kind": {"type": "string", "enum": ["dossier", "planning", "catalogue"]},
                        "school_year": {"type": ["string", "null"]},
                        "read_only": {"type": "boolean"}}}},
                    "compensations": {"type": "array", "items": {"type": "object", "properties": {
                        "doc_id": {"type": "string"},
                        "paths": {"type": "array", "items": {"type": "string"}}}}}}}
            }
        }
    });
    add_supporting_documents(&mut spec);
    super::openapi_publications::add(&mut spec);
    spec
}

/// Supporting documents ("Mes Documents"), family and staff sides.
fn add_supporting_documents(spec: &mut Value) {
    let doc_ref = json!({"$ref": "#/components/schemas/SupportingDocument"});
    let one = json!({"application/json": {"schema": doc_ref}});
    let many = json!({"application/json": {"schema": {"type": "array", "items": doc_ref}}});
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let paths = json!({
        "/api/v1/documents": {
            "post": {
                "summary": "Upload a supporting document (raw file bytes as the body)",
                "description": "PDF, JPEG or PNG, checked by content (magic bytes and structure), \
                    at most `max_document_bytes` (default 10 MB). Metadata in headers or the \
                    query string: `X-Document-Kind` / `kind`, `X-Child-Id` / `child_id`, \
                    `X-Valid-Until` / `valid_until` (YYYY-MM-DD), `X-File-Name` (percent-encoded) \
                    / `file_name`. `Idempotency-Key` (the client's id for the upload) is \
                    required: a retried upload answers the first one's document with 200.",
                "security": [{"device": []}],
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": true,
                        "schema": {"type": "string", "maxLength": 100}},
                    {"name": "kind", "in": "query", "schema": {"$ref": "#/components/schemas/DocumentKind"}},
                    {"name": "child_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "valid_until", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "file_name", "in": "query", "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {
                    "application/pdf": {}, "image/jpeg": {}, "image/png": {},
                    "application/octet-stream": {}}},
                "responses": {
                    "201": {"description": "Stored, waiting for staff", "content": one},
                    "200": {"description": "Already received (same Idempotency-Key)", "content": one},
                    "400": error_response("bad_request: empty file, unknown kind, not a child of the family"),
                    "401": error_response("unauthorized"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type: not a PDF, JPEG or PNG, or truncated")
                }
            },
            "get": {
                "summary": "The family's supporting documents with their state (waiting, accepted, rejected + reason)",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Documents, newest first", "content": many},
                    "401": error_response("unauthorized")}
            }
        },
        "/api/v1/documents/{id}/content": {"get": {
            "summary": "A document's bytes, as an attachment (the family or staff of its structure)",
            "description": "Staff downloads of medical_note, pai and vaccinations are logged.",
            "security": [{"device": []}],
            "parameters": [id_param],
            "responses": {"200": {"description": "The file (Content-Disposition: attachment, X-Content-Type-Options: nosniff)",
                    "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
                "401": error_response("unauthorized"),
                "404": error_response("not_found")}
        }},
        "/api/v1/staff/documents": {"get": {
            "summary": "The structure's supporting documents, by status",
            "security": [{"device": []}],
            "parameters": [{"name": "status", "in": "query",
                "schema": {"type": "string", "enum": ["waiting", "accepted", "rejected"]}}],
            "responses": {"200": {"description": "Documents, oldest first", "content": many},
                "400": error_response("bad_request"), "401": error_response("unauthorized"),
                "403": error_response("forbidden")}
        }},
        "/api/v1/staff/documents/expiring": {"get": {
            "summary": "Documents not rejected whose valid_until is within the next days (or past)",
            "security": [{"device": []}],
            "parameters": [{"name": "within_days", "in": "query",
                "schema": {"type": "integer", "minimum": 0, "maximum": 366, "default": 30}}],
            "responses": {"200": {"description": "Documents by valid_until", "content": many},
                "400": error_response("bad_request"), "401": error_response("unauthorized")}
        }},
        "/api/v1/staff/documents/{id}/accept": {"post": {
            "summary": "Accept a supporting document",
            "security": [{"device": []}],
            "parameters": [id_param],
            "responses": {"200": {"description": "Accepted", "content": one},
                "401": error_response("unauthorized"), "404": error_response("not_found")}
        }},
        "/api/v1/staff/documents/{id}/reject": {"post": {
            "summary": "Reject a supporting document with a reason shown to the family",
            "security": [{"device": []}],
            "parameters": [id_param],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"],
                "properties": {"reason": {"type": "string", "maxLength": 500}}}}}},
            "responses": {"200": {"description": "Rejected", "content": one},
                "400": error_response("bad_request: reason missing"),
                "401": error_response("unauthorized"), "404": error_response("not_found")}
        }}
    });
    let schemas = json!({
        "DocumentKind": {"type": "string", "enum": cartable_domain::supporting::KINDS},
        "SupportingDocument": {"type": "object", "properties": {
            "id": {"type": "string"},
            "family_id": {"type": "string"},
            "child_id": {"type": ["string", "null"]},
            "kind": {"$ref": "#/components/schemas/DocumentKind"},
            "file_name": {"type": "string", "description": "Sanitised original name"},
            "content_type": {"type": "string", "enum": ["application/pdf", "image/jpeg", "image/png"]},
            "size_bytes": {"type": "integer"},
            "valid_until": {"type": ["string", "null"], "format": "date"},
            "status": {"type": "string", "enum": ["waiting", "accepted", "rejected"]},
            "reason": {"type": ["string", "null"]},
            "uploaded_at_ms": {"type": "integer"},
            "reviewed_at_ms": {"type": ["integer", "null"]}}}
    });
    merge(spec, paths, schemas);
}

/// Adds `paths` and `schemas` (JSON objects) to the document.
pub(crate) fn merge(spec: &mut Value, paths: Value, schemas: Value) {
    if let (Some(target), Value::Object(new)) =
        (spec.get_mut("paths").and_then(Value::as_object_mut), paths)
    {
        target.extend(new);
    }
    if let (Some(target), Value::Object(new)) = (
        spec.pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut),
        schemas,
    ) {
        target.extend(new);
    }
}
