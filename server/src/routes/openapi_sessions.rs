//! OpenAPI of logins, sessions and passwords (families and staff).

use super::openapi::{error_response, merge};
use serde_json::{Value, json};

fn json_body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema":
        {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn json_ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Adds the session routes and their schemas to `spec`.
pub fn add(spec: &mut Value) {
    let throttled = json!({
        "description": "rate_limited: too many attempts; `Retry-After` gives the seconds to wait",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        "content": {"application/json": {"schema": schema_ref("Error")}}
    });
    let sessions = json_ok(
        "Live sessions of the caller's account (`current` marks the caller's)",
        json!({"type": "array", "items": schema_ref("Device")}),
    );
    let paths = json!({
        "/api/v1/login": {"post": {
            "summary": "Log a parent in on one device; returns that device's token",
            "description": "Attempts are limited per login name and per client address \
                (`login_attempts`, `login_ip_attempts` per `login_window_secs`), counted before \
                the password is checked. A device that signed in before sends its \
                `known_device` proof and is counted apart, so others' failures never lock it \
                out. With a one-time password, `must_change_password` is true and every other \
                call answers 403 `password_change_required` until `POST /api/v1/password`.",
            "requestBody": json_body("LoginRequest"),
            "responses": {
                "200": json_ok("Logged in", schema_ref("LoginResponse")),
                "400": error_response("bad_request: malformed body, login or device name"),
                "401": error_response("unauthorized: wrong login or password"),
                "403": error_response("forbidden: a staff account"),
                "413": error_response("payload_too_large"),
                "415": error_response("unsupported_media_type: not JSON"),
                "429": throttled.clone()
            }
        }},
        "/api/v1/staff/login": {"post": {
            "summary": "Log a member of staff in; returns a bearer token for the staff API",
            "description": "Same limits as `/api/v1/login`. Staff sessions end after \
                `staff_session_idle_secs` unused and `staff_session_max_secs` after login.",
            "requestBody": json_body("LoginRequest"),
            "responses": {
                "200": json_ok("Logged in", schema_ref("StaffLoginResponse")),
                "400": error_response("bad_request"),
                "401": error_response("unauthorized: wrong login or password"),
                "403": error_response(
                    "forbidden: a family account, or a staff account an administrator disabled"
                ),
                "413": error_response("payload_too_large"),
                "415": error_response("unsupported_media_type: not JSON"),
                "429": throttled.clone()
            }
        }},
        "/api/v1/logout": {"post": {
            "summary": "End the calling session (family device or staff)",
            "security": [{"device": []}],
            "responses": {"204": {"description": "Ended"},
                "401": error_response("unauthorized")}
        }},
        "/api/v1/password": {"post": {
            "summary": "Replace the caller's password; the account's other sessions end",
            "description": "Required after a login with a one-time password. The new \
                password has 12 to 128 characters, is not a common one and does not contain \
                the login. A wrong current password counts like a failed login.",
            "security": [{"device": []}],
            "requestBody": json_body("PasswordChange"),
            "responses": {"204": {"description": "Changed"},
                "400": error_response("bad_request: the new password is refused (the message says why)"),
                "401": error_response("unauthorized"),
                "403": error_response("forbidden: wrong current password"),
                "413": error_response("payload_too_large"),
                "415": error_response("unsupported_media_type: not JSON"),
                "429": throttled}
        }},
        "/api/v1/devices": {"get": {
            "summary": "Devices signed in with the caller's login",
            "security": [{"device": []}],
            "responses": {"200": sessions.clone(),
                "401": error_response("unauthorized"),
                "403": error_response("forbidden: not a family account, or password_change_required")}
        }},
        "/api/v1/devices/{device_id}": {"delete": {
            "summary": "Revoke one of the caller's devices (a lost phone)",
            "security": [{"device": []}],
            "parameters": [{"name": "device_id", "in": "path", "required": true,
                "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Revoked"},
                "401": error_response("unauthorized"),
                "403": error_response("forbidden"),
                "404": error_response("not_found: no such live device of this account")}
        }},
        "/api/v1/staff/logout": {"post": {
            "summary": "End the calling staff session",
            "security": [{"device": []}],
            "responses": {"204": {"description": "Ended"},
                "401": error_response("unauthorized"),
                "403": error_response("forbidden: not a staff account")}
        }},
        "/api/v1/staff/sessions": {"get": {
            "summary": "The caller's own staff sessions",
            "security": [{"device": []}],
            "responses": {"200": sessions,
                "401": error_response("unauthorized"),
                "403": error_response("forbidden: not staff, or password_change_required")}
        }},
        "/api/v1/staff/sessions/{session_id}": {"delete": {
            "summary": "End one of the caller's own staff sessions",
            "security": [{"device": []}],
            "parameters": [{"name": "session_id", "in": "path", "required": true,
                "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Ended"},
                "401": error_response("unauthorized"),
                "403": error_response("forbidden"),
                "404": error_response("not_found: no such live session of this account")}
        }},
        "/api/v1/staff/accounts/{account_id}/one-time-password": {"post": {
            "summary": "Issue a one-time password for an account of the structure",
            "description": "For a parent who lost theirs (any staff) or a member of staff \
                (administrators only). Every session of that account ends; its next login \
                must choose a new password. Recorded in the audit log.",
            "security": [{"device": []}],
            "parameters": [{"name": "account_id", "in": "path", "required": true,
                "schema": {"type": "string"}}],
            "responses": {"200": json_ok("The password to hand over, shown once",
                    schema_ref("OneTimePassword")),
                "401": error_response("unauthorized"),
                "403": error_response("forbidden: not staff, or a staff account and not an administrator"),
                "404": error_response("not_found: no such account in this structure")}
        }}
    });
    let schemas = json!({
        "LoginRequest": {"type": "object", "required": ["login", "password"],
            "properties": {
                "login": {"type": "string", "maxLength": 200},
                "password": {"type": "string"},
                "device_name": {"type": "string", "maxLength": 100,
                    "description": "How the device appears in the device list"},
                "known_device": {"type": "string",
                    "description": "The proof returned by this device's last login"}}},
        "LoginResponse": {"type": "object",
            "required": ["token", "device_id", "account_id", "family_id", "structure_id",
                "display_name", "must_change_password"],
            "properties": {
                "token": {"type": "string"}, "device_id": {"type": "string"},
                "account_id": {"type": "string"}, "family_id": {"type": "string"},
                "structure_id": {"type": "string"}, "display_name": {"type": "string"},
                "must_change_password": {"type": "boolean"},
                "known_device": {"type": "string"}}},
        "StaffLoginResponse": {"type": "object",
            "required": ["token", "device_id", "account_id", "structure_id", "display_name",
                "role", "must_change_password"],
            "properties": {
                "token": {"type": "string"}, "device_id": {"type": "string"},
                "account_id": {"type": "string"}, "structure_id": {"type": "string"},
                "display_name": {"type": "string"},
                "role": {"type": "string", "enum": ["staff_admin", "staff_agent"]},
                "must_change_password": {"type": "boolean"},
                "known_device": {"type": "string"}}},
        "PasswordChange": {"type": "object",
            "required": ["current_password", "new_password"],
            "additionalProperties": false,
            "properties": {"current_password": {"type": "string"},
                "new_password": {"type": "string", "minLength": 12, "maxLength": 128}}},
        "OneTimePassword": {"type": "object", "required": ["account_id", "login", "password"],
            "properties": {"account_id": {"type": "string"}, "login": {"type": "string"},
                "password": {"type": "string"}}},
        "Device": {"type": "object",
            "required": ["device_id", "name", "created_at_ms", "current"],
            "properties": {"device_id": {"type": "string"},
                "name": {"type": "string"}, "created_at_ms": {"type": "integer"},
                "last_seen_ms": {"type": ["integer", "null"]},
                "current": {"type": "boolean"},
                "expires_at_ms": {"type": "integer",
                    "description": "When the session ends unless used again"}}}
    });
    merge(spec, paths, schemas);
}
