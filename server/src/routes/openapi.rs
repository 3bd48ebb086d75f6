//! `GET /api/openapi.json`: the HTTP API described in OpenAPI 3.1.

use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use cartable_domain::api::ErrorCode;
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
            "/api/openapi.json": {"get": {
                "summary": "This document (OpenAPI 3.1)",
                "responses": {"200": {"description": "The API description",
                    "content": {"application/json": {"schema": {"type": "object"}}}}}
            }},
            "/healthz": {"get": {
                "summary": "Liveness, version and storage backend",
                "responses": {"200": {"description": "Up", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}}}
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
                    "code": {"type": "string", "enum": ErrorCode::ALL.iter()
                        .map(|c| c.as_str()).collect::<Vec<_>>()},
                    "message": {"type": "string", "description": "French, for people"}}},
                "Health": {"type": "object", "properties": {"status": {"type": "string"},
                    "version": {"type": "string"}, "backend": {"type": "string",
                    "enum": ["sqlite", "postgres"]}}},
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
    super::openapi_sessions::add(&mut spec);
    super::openapi_staff::add(&mut spec);
    super::openapi_invoicing::add(&mut spec);
    super::openapi_push::add(&mut spec);
    add_common_responses(&mut spec);
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
                    "413": error_response("payload_too_large (the file), or quota_exceeded (the family's documents together)"),
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

/// Answers any route may give, added where an operation does not describe them itself: 401
/// and 403 (`password_change_required` included) wherever a token is needed, 408 when the
/// request is too slow, 413 when its body is too large, 503 when storage is unavailable.
fn add_common_responses(spec: &mut Value) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let has_body = op.get("requestBody").is_some();
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status)
                    .or_insert_with(|| error_response(description));
            };
            if secured {
                add(
                    "401",
                    "unauthorized: missing, wrong, revoked or expired token",
                );
                add(
                    "403",
                    "forbidden: not allowed for this account, or password_change_required",
                );
            }
            if has_body {
                add("413", "payload_too_large");
            }
            add("408", "timeout: the request took too long");
            add("503", "unavailable: storage unreachable, retry");
        }
    }
}
