//! OpenAPI paths of push notifications: a family device's subscription and the staff's
//! delivery counts.

use super::openapi::{error_response, merge};
use serde_json::{Value, json};

pub fn add(spec: &mut Value) {
    let kind = json!({"type": "string",
        "enum": ["invoice", "information", "booking", "document", "dossier"]});
    let view = json!({"$ref": "#/components/schemas/PushSubscription"});
    let paths = json!({
        "/api/v1/push/vapid-key": {"get": {
            "summary": "The server's VAPID public key, the applicationServerKey to subscribe with",
            "security": [{"device": []}],
            "responses": {"200": {"description": "base64url, uncompressed P-256 point",
                "content": {"application/json": {"schema": {"type": "object",
                    "required": ["public_key"],
                    "properties": {"public_key": {"type": "string"}}}}}},
                "401": error_response("unauthorized"), "403": error_response("forbidden")}
        }},
        "/api/v1/push/subscription": {
            "get": {
                "summary": "This device's push subscription",
                "security": [{"device": []}],
                "responses": {"200": {"description": "The subscription; key_rotated: subscribe again",
                    "content": {"application/json": {"schema": view}}},
                    "401": error_response("unauthorized"), "403": error_response("forbidden"),
                    "404": error_response("not_found: not subscribed")}
            },
            "put": {
                "summary": "Register or change this device's subscription and the kinds it receives",
                "security": [{"device": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "additionalProperties": false,
                    "required": ["endpoint", "p256dh", "auth", "kinds"],
                    "properties": {
                        "endpoint": {"type": "string", "maxLength": 2048,
                            "description": "The push service's https URL"},
                        "p256dh": {"type": "string",
                            "description": "base64url, uncompressed P-256 point (65 bytes)"},
                        "auth": {"type": "string", "description": "base64url, 16 bytes"},
                        "kinds": {"type": "array", "items": kind}}}}}},
                "responses": {"200": {"description": "Registered",
                    "content": {"application/json": {"schema": view}}},
                    "400": error_response("bad_request: endpoint, key or secret refused (named)"),
                    "401": error_response("unauthorized"), "403": error_response("forbidden")}
            },
            "delete": {
                "summary": "Stop push notifications on this device",
                "security": [{"device": []}],
                "responses": {"204": {"description": "Removed"},
                    "401": error_response("unauthorized"), "403": error_response("forbidden"),
                    "404": error_response("not_found: not subscribed")}
            }
        },
        "/api/v1/staff/push/deliveries": {"get": {
            "summary": "Push deliveries per kind (sent, pending, expired, gone, cancelled, \
                rejected by status, retries) and the latest failures",
            "security": [{"device": []}],
            "parameters": [{"name": "days", "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 366},
                "description": "Messages of the last days (30 when absent)"}],
            "responses": {"200": {"description": "Counts",
                "content": {"application/json": {"schema":
                    {"$ref": "#/components/schemas/PushDeliveryStats"}}}},
                "400": error_response("bad_request: days out of range"),
                "401": error_response("unauthorized"), "403": error_response("forbidden")}
        }}
    });
    let schemas = json!({
        "PushSubscription": {"type": "object", "properties": {
            "endpoint": {"type": "string"}, "kinds": {"type": "array", "items": kind},
            "vapid_public_key": {"type": "string"}, "key_rotated": {"type": "boolean"},
            "created_at_ms": {"type": "integer"}, "updated_at_ms": {"type": "integer"}}},
        "PushDeliveryStats": {"type": "object", "properties": {
            "since_ms": {"type": "integer"},
            "kinds": {"type": "array", "items": {"type": "object", "properties": {
                "kind": {"type": "string"}, "label": {"type": "string"},
                "subscribed_devices": {"type": "integer"}, "sent": {"type": "integer"},
                "pending": {"type": "integer"}, "expired": {"type": "integer"},
                "rejected": {"type": "object", "additionalProperties": {"type": "integer"}},
                "gone": {"type": "integer"}, "cancelled": {"type": "integer"},
                "retries": {"type": "integer"}}}},
            "recent_failures": {"type": "array", "items": {"type": "object", "properties": {
                "delivery_id": {"type": "integer"}, "kind": {"type": "string"},
                "event": {"type": "string"}, "state": {"type": "string"},
                "last_status": {"type": ["integer", "null"]},
                "last_error": {"type": ["string", "null"]},
                "attempts": {"type": "integer"}, "created_at_ms": {"type": "integer"},
                "finished_at_ms": {"type": ["integer", "null"]}}}}}}
    });
    merge(spec, paths, schemas);
}
