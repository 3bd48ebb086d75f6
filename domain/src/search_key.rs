//! The form of a name that staff searches compare: lower case, without accents, spaces
//! collapsed. "Élodie", "ELODIE" and "elodie" share one key, and so do "Inès" and "Ines".
//!
//! Databases fold case for ASCII only (SQLite's `lower()` and `LIKE` leave "É" as it is,
//! and neither backend drops accents without an extension), so the server stores each
//! searchable name's key beside it, computed here, and folds the staff's query the same way.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The search key of `text`: lower case, accents and other combining marks dropped, ligatures
/// spelt out (œ → oe, æ → ae, ß → ss), typographic apostrophes made straight, hyphens read as
/// spaces, runs of spaces collapsed to one, no space at either end.
pub fn search_key(text: &str) -> String {
    let lower: String = text.chars().flat_map(char::to_lowercase).collect();
    let mut spelt = String::with_capacity(lower.len());
    for c in lower.nfd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'œ' => spelt.push_str("oe"),
            'æ' => spelt.push_str("ae"),
            'ß' => spelt.push_str("ss"),
            '’' | '‘' | 'ʼ' => spelt.push('\''),
            '-' | '‐' | '‑' => spelt.push(' '),
            _ => spelt.push(c),
        }
    }
    spelt.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::search_key;

    #[test]
    fn capitals_and_accents_share_one_key() {
        for name in ["Élodie", "ELODIE", "élodie", "elodie", "ÉLODIE"] {
            assert_eq!(search_key(name), "elodie", "{name}");
        }
        assert_eq!(search_key("Inès"), search_key("Ines"));
        assert_eq!(search_key("Maël Le Gall"), "mael le gall");
        assert_eq!(search_key("François-Xavier"), "francois xavier");
        assert_eq!(search_key("Chloé Œuvray"), "chloe oeuvray");
    }

    #[test]
    fn spaces_are_collapsed_and_apostrophes_straight() {
        assert_eq!(search_key("  d’Arc \t Jeanne "), "d'arc jeanne");
        assert_eq!(search_key(""), "");
        assert_eq!(search_key(" - "), "");
    }

    #[test]
    fn other_scripts_keep_their_letters() {
        assert_eq!(search_key("Ünal Şahin"), "unal sahin");
        assert_eq!(search_key("Ольга"), "ольга");
        assert_eq!(search_key("李"), "李");
    }
}
