//! Matching what a parent types against names: "lea" finds "Léa", "sans porc" finds the diet
//! `sans_porc`, "Garderie du soir" finds the activity `garderie-soir`.
//!
//! Names are compared folded: lower case, accents removed, and any run of spaces, hyphens,
//! underscores or apostrophes read as one space.

/// `name` folded for comparison: "Éloïse  Dupont-Moreau" → "eloise dupont moreau".
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        let plain: &str = match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'ç' => "c",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ÿ' | 'ý' => "y",
            'ñ' => "n",
            'œ' => "oe",
            'æ' => "ae",
            ' ' | '-' | '_' | '\'' | '’' | '\t' => {
                space = true;
                continue;
            }
            _ => "",
        };
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if plain.is_empty() {
            out.push(c);
        } else {
            out.push_str(plain);
        }
    }
    out
}

/// The candidates whose name, folded, equals `wanted` folded; failing that, those whose folded
/// name starts with it (at a word boundary). Each candidate is `(id, name)`; ids equal to
/// `wanted` win outright.
pub fn matches<'a, I>(wanted: &str, candidates: I) -> Vec<(&'a str, &'a str)>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let candidates: Vec<(&str, &str)> = candidates.into_iter().collect();
    if let Some(exact) = candidates.iter().find(|(id, _)| *id == wanted.trim()) {
        return vec![*exact];
    }
    let folded = fold(wanted);
    if folded.is_empty() {
        return Vec::new();
    }
    let equal: Vec<(&str, &str)> = candidates
        .iter()
        .filter(|(id, name)| fold(name) == folded || fold(id) == folded)
        .copied()
        .collect();
    if !equal.is_empty() {
        return equal;
    }
    candidates
        .into_iter()
        .filter(|(_, name)| contains_words(&fold(name), &folded))
        .collect()
}

/// True when `words` (folded) appears in `name` (folded) starting and ending at word
/// boundaries: "du soir" in "garderie du soir", not "du so".
fn contains_words(name: &str, words: &str) -> bool {
    let padded = format!(" {name} ");
    padded.contains(&format!(" {words} "))
}

/// A date as a parent types it: "07/12/2026" (JJ/MM/AAAA, also "7/12/2026", "07-12-2026" or
/// "07.12.2026") or ISO "2026-12-07". The error is a French sentence with an example.
pub fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    let t = s.trim();
    let bad = || format!("date invalide « {t} » : attendu JJ/MM/AAAA, par exemple 07/12/2026");
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |p: &str, max_len: usize| -> Result<i16, String> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse().map_err(|_| bad())
    };
    let (year, month, day) = if a.len() == 4 {
        (number(a, 4)?, number(b, 2)?, number(c, 2)?)
    } else if c.len() == 4 {
        (number(c, 4)?, number(b, 2)?, number(a, 2)?)
    } else {
        return Err(bad());
    };
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(bad());
    };
    jiff::civil::Date::new(year, month, day).map_err(|_| bad())
}

/// "Léa, Léo et Lina".
pub fn list_fr(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_accents_and_separators() {
        assert_eq!(fold("  Éloïse  Dupont-Moreau "), "eloise dupont moreau");
        assert_eq!(fold("Sans_porc"), "sans porc");
        assert_eq!(fold("L'Œuf"), "l oeuf");
        assert_eq!(fold("Inès"), fold("ines"));
    }

    #[test]
    fn names_match_exactly_then_by_word_prefix() {
        let people = [("c1", "Léa"), ("c2", "Léo"), ("c3", "Inès")];
        assert_eq!(matches("lea", people), vec![("c1", "Léa")]);
        assert_eq!(matches("INES", people), vec![("c3", "Inès")]);
        assert_eq!(matches("c2", people), vec![("c2", "Léo")]);
        assert_eq!(matches("lé", people).len(), 0, "no word ends there");
        assert!(matches("Zoé", people).is_empty());
        let activities = [
            ("garderie-soir", "Garderie du soir"),
            ("garderie-matin", "Garderie du matin"),
            ("cantine", "Restauration scolaire"),
        ];
        assert_eq!(matches("garderie", activities).len(), 2);
        assert_eq!(
            matches("garderie du soir", activities),
            vec![("garderie-soir", "Garderie du soir")]
        );
        assert_eq!(
            matches("restauration", activities),
            vec![("cantine", "Restauration scolaire")]
        );
        assert_eq!(
            matches("scolaire", activities),
            vec![("cantine", "Restauration scolaire")]
        );
        assert_eq!(
            matches("Garderie Soir", activities),
            vec![("garderie-soir", "Garderie du soir")],
            "the id folded"
        );
    }

    #[test]
    fn dates_are_read_the_french_way_or_in_iso() {
        let want = jiff::civil::date(2026, 12, 7);
        for text in [
            "07/12/2026",
            "7/12/2026",
            " 07-12-2026 ",
            "07.12.2026",
            "2026-12-07",
        ] {
            assert_eq!(parse_date(text), Ok(want), "{text}");
        }
        for text in [
            "31/02/2026",
            "12/2026",
            "demain",
            "2026/13/01",
            "07/12/26",
            "+7/12/2026",
        ] {
            let err = parse_date(text).expect_err(text);
            assert!(err.contains("JJ/MM/AAAA"), "{err}");
        }
    }

    #[test]
    fn lists_read_as_french_sentences() {
        let l = |v: &[&str]| list_fr(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(l(&[]), "");
        assert_eq!(l(&["Léa"]), "Léa");
        assert_eq!(l(&["Léa", "Hugo"]), "Léa et Hugo");
        assert_eq!(l(&["Léa", "Hugo", "Inès"]), "Léa, Hugo et Inès");
    }
}
