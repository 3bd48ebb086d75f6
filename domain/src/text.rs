//! Text that comes from outside (staff forms, parents' phones, file names): what the server
//! accepts, and how such text is shown back in a message or written to a log.
//!
//! A value is refused when it is too long, holds control characters (a line break in a
//! one-line field forges a new log line or a second header), or holds the Unicode bidi
//! overrides that make a name read backwards ("U+202E" turns `fdp.exe` into what looks like
//! `exe.pdf`). Checking here, in the domain, lets the phone refuse exactly what the server
//! refuses.

use std::fmt;

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// More characters than allowed.
    TooLong { max_chars: usize },
    /// A control character (line break, tab, NUL, ...) where none is allowed.
    ControlCharacter,
    /// A Unicode bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069).
    BidiOverride,
    /// Nothing but spaces where a value is required.
    Empty,
    /// Not one of the accepted values.
    NotAllowed { allowed: Vec<String> },
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::TooLong { max_chars } => write!(f, "{max_chars} caractères au plus"),
            TextError::ControlCharacter => f.write_str("caractère de contrôle interdit"),
            TextError::BidiOverride => {
                f.write_str("caractère d'inversion de sens d'écriture interdit")
            }
            TextError::Empty => f.write_str("valeur obligatoire"),
            TextError::NotAllowed { allowed } => {
                write!(
                    f,
                    "valeur non reconnue (valeurs possibles : {})",
                    allowed.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for TextError {}

/// True for the bidi embedding, override and isolate controls.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a one-line value: at most `max_chars` characters, no control character, no bidi
/// override. Empty is allowed (see [`check_required`]).
pub fn check_line(value: &str, max_chars: usize) -> Result<(), TextError> {
    check(value, max_chars, false)
}

/// Checks a multi-line value (a message body): line breaks and tabs are allowed, other
/// control characters and bidi overrides are not.
pub fn check_multiline(value: &str, max_chars: usize) -> Result<(), TextError> {
    check(value, max_chars, true)
}

/// [`check_line`], and not blank.
pub fn check_required(value: &str, max_chars: usize) -> Result<(), TextError> {
    if value.trim().is_empty() {
        return Err(TextError::Empty);
    }
    check_line(value, max_chars)
}

/// Checks that `value` is one of `allowed`.
pub fn check_one_of(value: &str, allowed: &[&str]) -> Result<(), TextError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(TextError::NotAllowed {
            allowed: allowed.iter().map(|a| a.to_string()).collect(),
        })
    }
}

fn check(value: &str, max_chars: usize, multiline: bool) -> Result<(), TextError> {
    let mut count = 0usize;
    for c in value.chars() {
        count += 1;
        if count > max_chars {
            return Err(TextError::TooLong { max_chars });
        }
        if is_bidi_control(c) {
            return Err(TextError::BidiOverride);
        }
        if c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')) {
            return Err(TextError::ControlCharacter);
        }
    }
    Ok(())
}

/// `value` made safe to quote in a message: control characters and bidi overrides dropped,
/// at most `max_chars` characters (then "…"). Error messages quote what was refused without
/// echoing a huge or line-breaking input.
pub fn shown(value: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in value
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .enumerate()
    {
        if i == max_chars {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// Displays text from outside in a log line: control characters, bidi overrides and
/// backslashes escaped (`\n`, `\u{202e}`), at most 200 characters. A value logged through it
/// can never start a forged log line.
#[derive(Debug, Clone, Copy)]
pub struct LogSafe<'a>(pub &'a str);

impl fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for (i, c) in self.0.chars().enumerate() {
            if i == 200 {
                return f.write_str("…");
            }
            if c == '\\' || c == '"' {
                f.write_char('\\')?;
                f.write_char(c)?;
            } else if c.is_control() || is_bidi_control(c) {
                for e in c.escape_default() {
                    f.write_char(e)?;
                }
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_values_refuse_breaks_controls_and_bidi_overrides() {
        assert_eq!(check_line("Accueil du soir", 100), Ok(()));
        assert_eq!(check_line("École élémentaire", 100), Ok(()));
        assert_eq!(
            check_line("a\nINFO faux message", 100),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(check_line("nul\0", 100), Err(TextError::ControlCharacter));
        assert_eq!(
            check_line("fdp\u{202E}exe.pdf", 100),
            Err(TextError::BidiOverride)
        );
        assert_eq!(
            check_line("ééééé", 4),
            Err(TextError::TooLong { max_chars: 4 })
        );
        assert_eq!(check_required("  ", 10), Err(TextError::Empty));
    }

    #[test]
    fn message_bodies_keep_their_line_breaks() {
        assert_eq!(check_multiline("Bonjour,\r\n\tmenu du jour", 100), Ok(()));
        assert_eq!(
            check_multiline("cloche\u{7}", 100),
            Err(TextError::ControlCharacter)
        );
    }

    #[test]
    fn allowed_values_are_listed_in_the_refusal() {
        assert_eq!(check_one_of("cash", &["cash", "cheque"]), Ok(()));
        let e = check_one_of("bitcoin", &["cash", "cheque"]).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "valeur non reconnue (valeurs possibles : cash, cheque)"
        );
    }

    #[test]
    fn shown_values_are_short_and_on_one_line() {
        assert_eq!(shown("abc", 10), "abc");
        assert_eq!(shown("a\nb\u{202E}c", 10), "abc");
        assert_eq!(shown(&"x".repeat(5000), 3), "xxx…");
    }

    #[test]
    fn logged_values_cannot_forge_a_line() {
        let logged = LogSafe("camille\n2026-11-30T10:00:00Z INFO login ok \"admin\"").to_string();
        assert!(!logged.contains('\n'), "{logged}");
        assert!(logged.contains("\\n"), "{logged}");
        assert!(logged.contains("\\\"admin\\\""), "{logged}");
        assert_eq!(LogSafe("a\u{202E}b").to_string(), "a\\u{202e}b");
        assert_eq!(LogSafe(&"y".repeat(300)).to_string().chars().count(), 201);
    }
}
