//! OpenAPI paths of "Informations", "Téléchargement" and the family's data export.

use super::openapi::{error_response, merge};
use serde_json::{Value, json};

pub fn add(spec: &mut Value) {
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let message = json!({"$ref": "#/components/schemas/InformationMessage"});
    let message_body = json!({"required": true, "content": {"application/json": {"schema": {
        "type": "object", "required": ["title", "body"], "properties": {
            "title": {"type": "string", "maxLength": 200},
            "body": {"type": "string", "maxLength": 10000},
            "published_from": {"type": "string", "format": "date", "description": "Today when absent"},
            "published_until": {"type": ["string", "null"], "format": "date",
                "description": "Last day shown, inclusive; none: until withdrawn"}}}}}});
    let download = json!({"$ref": "#/components/schemas/StaffDownload"});
    let paths = json!({
        "/api/v1/staff/information": {
            "get": {
                "summary": "Every message of the structure with its state (scheduled, shown, ended)",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Messages, newest publication first",
                    "content": {"application/json": {"schema": {"type": "array", "items": message}}}},
                    "401": error_response("unauthorized"), "403": error_response("forbidden")}
            },
            "post": {
                "summary": "Publish a message; the catalogue carries it to families on its days",
                "security": [{"device": []}],
                "requestBody": message_body,
                "responses": {"201": {"description": "Published",
                    "content": {"application/json": {"schema": message}}},
                    "400": error_response("bad_request: the field is named"),
                    "401": error_response("unauthorized")}
            }
        },
        "/api/v1/staff/information/{id}": {
            "put": {
                "summary": "Change a message (families see it unread again)",
                "security": [{"device": []}],
                "parameters": [id_param],
                "requestBody": message_body,
                "responses": {"200": {"description": "Changed",
                    "content": {"application/json": {"schema": message}}},
                    "400": error_response("bad_request"), "404": error_response("not_found")}
            },
            "delete": {
                "summary": "Withdraw a message",
                "security": [{"device": []}],
                "parameters": [id_param],
                "responses": {"204": {"description": "Withdrawn"}, "404": error_response("not_found")}
            }
        },
        "/api/v1/staff/downloads": {
            "get": {
                "summary": "Files offered to every family",
                "security": [{"device": []}],
                "responses": {"200": {"description": "Newest first",
                    "content": {"application/json": {"schema": {"type": "array", "items": download}}}}}
            },
            "post": {
                "summary": "Publish a file (raw bytes as the body): PDF, JPEG or PNG checked by content",
                "security": [{"device": []}],
                "parameters": [
                    {"name": "title", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "description", "in": "query", "schema": {"type": "string"}},
                    {"name": "file_name", "in": "query", "schema": {"type": "string"}},
                    {"name": "X-File-Name", "in": "header", "schema": {"type": "string"},
                        "description": "Percent-encoded file name"}
                ],
                "requestBody": {"required": true, "content": {"application/pdf": {},
                    "image/jpeg": {}, "image/png": {}, "application/octet-stream": {}}},
                "responses": {"201": {"description": "Published",
                    "content": {"application/json": {"schema": download}}},
                    "400": error_response("bad_request: empty file or missing title"),
                    "413": error_response("payload_too_large"),
                    "415": error_response("unsupported_media_type")}
            }
        },
        "/api/v1/staff/downloads/{id}": {"delete": {
            "summary": "Withdraw a file (phones drop their cached copy at their next sync)",
            "security": [{"device": []}],
            "parameters": [id_param],
            "responses": {"204": {"description": "Withdrawn"}, "404": error_response("not_found")}
        }},
        "/api/v1/downloads/{id}/content": {"get": {
            "summary": "A published file, as an attachment, for the families and staff of its structure",
            "security": [{"device": []}],
            "parameters": [id_param],
            "responses": {"200": {"description": "The file",
                "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
                "401": error_response("unauthorized"), "404": error_response("not_found")}
        }},
        "/api/v1/export": {"get": {
            "summary": "Everything the structure holds about the caller's family, as a ZIP archive",
            "description": "famille.json, dossier.json, dossier-versions.json, planning/<year>.json, \
                documents.json with documents/<id>-<name>, journal.json (staff access log), \
                automerge/*.automerge (documents with their history), LISEZMOI.txt.",
            "security": [{"device": []}],
            "responses": {"200": {"description": "The archive (attachment)",
                "content": {"application/zip": {}}},
                "401": error_response("unauthorized"), "404": error_response("not_found")}
        }}
    });
    let schemas = json!({
        "InformationMessage": {"type": "object", "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
            "published_from": {"type": "string", "format": "date"},
            "published_until": {"type": ["string", "null"], "format": "date"},
            "created_by": {"type": "string"}, "created_at_ms": {"type": "integer"},
            "updated_by": {"type": "string"}, "updated_at_ms": {"type": "integer"},
            "state": {"type": "string", "enum": ["scheduled", "shown", "ended"]}}},
        "StaffDownload": {"type": "object", "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "file_name": {"type": "string"},
            "content_type": {"type": "string"}, "size_bytes": {"type": "integer"},
            "sha256": {"type": "string"}, "published_at_ms": {"type": "integer"},
            "published_by": {"type": "string"}}}
    });
    merge(spec, paths, schemas);
}
