//! Extractors whose refusals are the API's `{code, message}` JSON with a French message.
//!
//! axum's own `Json`, `Query` and `Path` answer plain English text that quotes serde's
//! message (and, with it, whatever the caller sent). These say in French which field is
//! wrong and why, quote at most a few characters of the input, and use the status the API
//! documents: 400 for a bad body or query, 413 for a body over the limit, 415 for a body
//! that is not JSON, 404 for a path whose parameters cannot be read (an unknown id).

use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use cartable_domain::api::ErrorCode;
use cartable_domain::text::shown;
use serde::de::DeserializeOwned;

/// Characters of a caller's value quoted in a message.
const QUOTED: usize = 40;

/// JSON body extractor (`Content-Type: application/json`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::client(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "Corps de requête attendu en JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| body_refused(rejection.status(), &rejection))?;
        parse_json(&bytes).map(Json)
    }
}

/// Reads `bytes` as JSON of type `T`, with a French refusal naming the faulty field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_refused(&path, &inner)
    })?;
    de.end().map_err(|e| json_refused(".", &e))?;
    if has_escaped_nul(bytes) {
        return Err(nul_refused());
    }
    Ok(value)
}

/// True when a JSON text holds the escape `\u0000` (a raw NUL byte is already a syntax
/// error). No stored text may contain it: PostgreSQL refuses it in `text` columns, and no
/// name, reason or message of a person has one.
fn has_escaped_nul(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(at, w)| {
        w == b"\\u0000"
            // The backslash must itself be unescaped: an odd run of backslashes ends here.
            && json[..=at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
    })
}

fn nul_refused() -> AppError {
    AppError::bad_request("Requête invalide : un texte contient un caractère nul")
}

fn json_refused(path: &str, e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let message = match e.classify() {
        Category::Data => {
            let detail = serde_detail(&e.to_string());
            // An unknown field's path ends with the field itself, which the detail names.
            let path = if e.to_string().starts_with("unknown field ") {
                path.rsplit_once('.').map_or("", |(parent, _)| parent)
            } else {
                path
            };
            if path == "." || path.is_empty() {
                format!("Requête JSON invalide : {detail}")
            } else {
                format!(
                    "Requête JSON invalide : « {} » : {detail}",
                    shown(path, 2 * QUOTED)
                )
            }
        }
        Category::Eof => "Requête JSON incomplète".to_string(),
        Category::Syntax | Category::Io => format!(
            "JSON illisible (ligne {}, colonne {})",
            e.line(),
            e.column()
        ),
    };
    AppError::bad_request(message)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// A body that could not be read (`status` as axum saw it, `error` its cause): too large,
/// stalled past the body timeout, or cut off.
pub fn body_refused(status: StatusCode, error: &(dyn std::error::Error + 'static)) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::client(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "Requête trop volumineuse",
        )
    } else if caused_by::<tower_http::timeout::TimeoutError>(error) {
        body_timed_out()
    } else {
        AppError::bad_request("Corps de requête illisible ou interrompu : réessayez")
    }
}

/// The body stopped arriving for longer than `body_idle_timeout_secs`.
pub fn body_timed_out() -> AppError {
    AppError::client(
        StatusCode::REQUEST_TIMEOUT,
        ErrorCode::Timeout,
        "Requête trop lente à arriver : réessayez",
    )
}

/// True when `E` is `error` or one of its causes.
pub fn caused_by<E: std::error::Error + 'static>(
    mut error: &(dyn std::error::Error + 'static),
) -> bool {
    loop {
        if error.is::<E>() {
            return true;
        }
        match error.source() {
            Some(next) => error = next,
            None => return false,
        }
    }
}

/// Query string extractor.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(nul_refused());
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(query_refused(&rejection)),
        }
    }
}

fn query_refused(rejection: &QueryRejection) -> AppError {
    let text = rejection.body_text();
    let detail = text.split_once(": ").map(|(_, d)| d).unwrap_or("");
    AppError::bad_request(format!(
        "Paramètres d'adresse invalides : {}",
        serde_detail(detail)
    ))
}

/// Path parameters extractor: parameters that cannot be read name nothing that exists (404).
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        // No id or name that exists holds a NUL character.
        if parts.uri.path().contains("%00") {
            return Err(AppError::not_found());
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(AppError::not_found()),
            Err(other) => Err(AppError::internal(format!(
                "path parameters: {}",
                other.body_text()
            ))),
        }
    }
}

/// serde's English message, in French, quoting at most [`QUOTED`] characters of the input.
pub fn serde_detail(message: &str) -> String {
    // serde_json appends the position; it says nothing to a person.
    let message = message
        .rsplit_once(" at line ")
        .map(|(m, _)| m)
        .unwrap_or(message);
    let quoted = |prefix: &str| -> Option<String> {
        let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
        let end = rest.find('`')?;
        Some(shown(&rest[..end], QUOTED))
    };
    let expected = || -> Option<String> {
        let (_, list) = message.split_once(", expected ")?;
        let list = list.strip_prefix("one of ").unwrap_or(list);
        // serde writes "`a` or `b`" for two values, "one of `a`, `b`, `c`" for more.
        Some(shown(
            &list.replace("` or `", ", ").replace('`', ""),
            4 * QUOTED,
        ))
    };
    if let Some(field) = quoted("missing field ") {
        return format!("champ « {field} » manquant");
    }
    if let Some(field) = quoted("unknown field ") {
        return format!("champ « {field} » inconnu");
    }
    if let Some(field) = quoted("duplicate field ") {
        return format!("champ « {field} » en double");
    }
    if let Some(value) = quoted("unknown variant ") {
        return match expected() {
            Some(list) => format!("valeur « {value} » non reconnue (valeurs possibles : {list})"),
            None => format!("valeur « {value} » non reconnue"),
        };
    }
    if message.starts_with("invalid type") {
        return match message
            .split_once(", expected ")
            .map(|(_, e)| expected_fr(e))
        {
            Some(Some(what)) => format!("type de valeur incorrect (attendu : {what})"),
            _ => "type de valeur incorrect".to_string(),
        };
    }
    if message.starts_with("invalid length") {
        return "nombre d'éléments incorrect".to_string();
    }
    "valeur invalide".to_string()
}

/// What serde expected, in French, for the common cases.
fn expected_fr(expected: &str) -> Option<&'static str> {
    let e = expected.trim();
    Some(match e {
        "a string" | "string" | "a borrowed string" => "un texte",
        "a boolean" | "bool" => "vrai ou faux",
        "a sequence" => "une liste",
        "a map" => "un objet",
        "f32" | "f64" => "un nombre",
        _ if e.starts_with("struct ") => "un objet",
        "usize" | "isize" => "un nombre entier",
        _ if (e.starts_with('u') || e.starts_with('i'))
            && e.len() > 1
            && e[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            "un nombre entier"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        login: String,
        attempts: u32,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Cash,
        Cheque,
    }

    fn refused(json: &str) -> String {
        match parse_json::<Body>(json.as_bytes()) {
            Err(AppError::Client {
                message, status, ..
            }) => {
                assert_eq!(status, StatusCode::BAD_REQUEST);
                message
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn json_refusals_name_the_field_in_french() {
        assert_eq!(
            refused(r#"{"attempts": 1}"#),
            "Requête JSON invalide : champ « login » manquant"
        );
        assert_eq!(
            refused(r#"{"login": "a", "attempts": 1, "x": 2}"#),
            "Requête JSON invalide : champ « x » inconnu"
        );
        assert_eq!(
            refused(r#"{"login": "a", "attempts": "beaucoup"}"#),
            "Requête JSON invalide : « attempts » : type de valeur incorrect (attendu : un nombre entier)"
        );
        assert_eq!(
            refused(r#"{"login": "a", "attempts": 1, "kind": "bitcoin"}"#),
            "Requête JSON invalide : « kind » : valeur « bitcoin » non reconnue (valeurs possibles : cash, cheque)"
        );
        assert_eq!(refused(r#"{"login": "#), "Requête JSON incomplète");
        assert!(refused("{oops}").starts_with("JSON illisible (ligne 1"));
    }

    #[test]
    fn an_escaped_nul_in_a_text_is_refused_but_an_escaped_backslash_is_not() {
        let message = refused(r#"{"login": "a\u0000b", "attempts": 1}"#);
        assert!(message.contains("caractère nul"), "{message}");
        let message = refused(r#"{"login": "a\\\u0000", "attempts": 1}"#);
        assert!(message.contains("caractère nul"), "{message}");
        // `\\u0000` is a backslash followed by the letters "u0000": a harmless text.
        let body: Body = match parse_json(r#"{"login": "a\\u0000", "attempts": 1}"#.as_bytes()) {
            Ok(body) => body,
            Err(e) => panic!("an escaped backslash was refused: {e:?}"),
        };
        assert_eq!(body.login, "a\\u0000");
    }

    #[test]
    fn huge_input_is_never_echoed() {
        let huge = "A".repeat(100_000);
        let message = refused(&format!(
            r#"{{"login": "a", "attempts": 1, "kind": "{huge}"}}"#
        ));
        assert!(message.len() < 300, "{message}");
        let message = refused(&format!(r#"{{"{huge}": 1}}"#));
        assert!(message.len() < 300, "{message}");
    }
}
