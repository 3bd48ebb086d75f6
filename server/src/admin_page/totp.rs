//! Administrators' second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one
//! step of tolerance either way), its QR code, and recovery codes kept as SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per time step.
pub const STEP_SECS: u64 = 30;
/// Recovery codes given when the second factor is set up.
pub const RECOVERY_CODES: usize = 10;

/// A new random secret (160 bits), base32 as authenticator apps take it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

/// The TOTP of a base32 secret for the account `login` of structure `issuer`.
pub fn totp(secret: &str, login: &str, issuer: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    // Neither may contain ':' in an otpauth URL.
    let issuer = format!("Cartable {}", issuer.replace(':', " "))
        .trim()
        .to_string();
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret)
        .with_account_name(login.replace(':', "."))
        .with_issuer(Some(issuer))
        .build()
        .ok()
}

/// The time step `code` is valid for at `now_secs`, if any.
pub fn matching_step(totp: &Totp, code: &str, now_secs: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp.check(&code, now_secs)
}

/// The secret grouped by four characters, easier to type.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// New recovery codes ("abcd-efgh-jkmn"), shown once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = crate::auth::new_password()
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(12)
                .collect();
            raw.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is stored of a recovery code: dashes, spaces and case do not matter.
pub fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut h = Sha256::new();
    h.update(b"cartable-recovery\0");
    h.update(normal.as_bytes());
    hex::encode(h.finalize())
}

/// The otpauth URL as a QR code, drawn in SVG (black modules on white, with its margin).
pub fn qr_svg(url: &str) -> Option<String> {
    let qr = qrcodegen::QrCode::encode_text(url, qrcodegen::QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let border = 4;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let full = size + 2 * border;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" \
         width=\"220\" height=\"220\" role=\"img\" aria-label=\"QR code à scanner avec \
         l'application d'authentification\" shape-rendering=\"crispEdges\">\
         <rect width=\"{full}\" height=\"{full}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_its_neighbours_only() {
        let secret = new_secret();
        let t = totp(&secret, "admin", "Mairie").expect("totp");
        let now = 1_800_000_000u64;
        let code = t.generate(now).to_string();
        assert_eq!(matching_step(&t, &code, now), Some(now / STEP_SECS));
        assert_eq!(
            matching_step(&t, &code, now + STEP_SECS),
            Some(now / STEP_SECS)
        );
        assert_eq!(matching_step(&t, &code, now + 3 * STEP_SECS), None);
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hashed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 14);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(
            recovery_hash(&codes[0]),
            recovery_hash(&codes[0].replace('-', " ").to_uppercase())
        );
        assert_ne!(recovery_hash(&codes[0]), recovery_hash(&codes[1]));
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg("otpauth://totp/x?secret=ABC").expect("qr");
        assert!(svg.starts_with("<svg") && svg.contains("<path d=\"M"));
    }
}
