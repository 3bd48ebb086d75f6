//! What a new password must be, checked by the phone before sending and by the server on
//! arrival (OWASP ASVS 2.1: length over composition rules, no common or personal passwords).

use std::fmt;

/// Fewest characters of a password chosen by its owner.
pub const MIN_CHARS: usize = 12;
/// Most characters (the hash does the rest; a longer one only costs the server).
pub const MAX_CHARS: usize = 128;

/// Passwords anyone would try first, in lower case.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "azertyuiop12",
    "azertyuiopqs",
    "azerty123456",
    "qwertyuiop12",
    "motdepasse123",
    "motdepasse1234",
    "mot-de-passe1",
    "password1234",
    "password12345",
    "passwordpassword",
    "iloveyou1234",
    "jetaime123456",
    "soleil123456",
    "bonjour123456",
    "cartable1234",
    "cartable12345",
    "cantine12345",
    "changeme1234",
    "azertyazerty",
    "000000000000",
    "111111111111",
    "abcdefghijkl",
    "abc123456789",
];

/// Why a new password was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordError {
    TooShort,
    TooLong,
    /// Holds control characters (invisible, and typed differently on each keyboard).
    ControlCharacter,
    /// Too easy to guess: a common password, one character repeated, or the login in it.
    TooCommon,
    /// Same as the password it replaces.
    Unchanged,
}

impl fmt::Display for PasswordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordError::TooShort => write!(
                f,
                "Mot de passe trop court : {MIN_CHARS} caractères au moins (une phrase facile à retenir convient)"
            ),
            PasswordError::TooLong => write!(f, "Mot de passe trop long : {MAX_CHARS} caractères au plus"),
            PasswordError::ControlCharacter => {
                f.write_str("Le mot de passe contient un caractère invisible interdit")
            }
            PasswordError::TooCommon => f.write_str(
                "Mot de passe trop facile à deviner : évitez les suites connues et votre identifiant",
            ),
            PasswordError::Unchanged => {
                f.write_str("Le nouveau mot de passe doit être différent de l'ancien")
            }
        }
    }
}

impl std::error::Error for PasswordError {}

/// Checks a password chosen for `login`.
pub fn check_new_password(password: &str, login: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::ControlCharacter);
    }
    let lower = password.to_lowercase();
    let login = login.trim().to_lowercase();
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if COMMON.contains(&lower.as_str())
        || distinct.len() <= 2
        || (login.chars().count() >= 4 && lower.contains(&login))
    {
        return Err(PasswordError::TooCommon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_personal_passwords_are_accepted() {
        assert_eq!(
            check_new_password("le chat dort sur le radiateur", "camille.martin"),
            Ok(())
        );
        assert_eq!(check_new_password("Ünïcødé-pass-42", "x"), Ok(()));
    }

    #[test]
    fn short_common_or_personal_passwords_are_refused() {
        assert_eq!(
            check_new_password("court", "camille"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_new_password("Password1234", "camille"),
            Err(PasswordError::TooCommon)
        );
        assert_eq!(
            check_new_password("aaaaaaaaaaaaaaaa", "camille"),
            Err(PasswordError::TooCommon)
        );
        assert_eq!(
            check_new_password("camille.martin-2026", "camille.martin"),
            Err(PasswordError::TooCommon)
        );
        assert_eq!(
            check_new_password(&"é".repeat(129), "x"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_new_password("douze caractères\n", "x"),
            Err(PasswordError::ControlCharacter)
        );
    }

    #[test]
    fn refusals_explain_in_french() {
        assert!(
            PasswordError::TooShort
                .to_string()
                .contains("12 caractères")
        );
    }
}
