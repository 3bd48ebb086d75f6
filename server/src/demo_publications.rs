//! The demo structure's "Informations" and "Téléchargement": two messages (one shown now, one
//! scheduled) and the rules of the after-school services as a one-page PDF.

use crate::AppState;
use crate::auth::new_id;
use crate::db::downloads::{self, StoredDownload};
use crate::db::information::{self, MessageText};
use crate::docs::publication;
use crate::error::{AppError, AppResult};
use cartable_domain::calendar::paris_date;
use cartable_domain::information::Download;
use sha2::{Digest, Sha256};

/// A one-page PDF showing `lines` (ASCII), with a correct cross-reference table.
pub fn one_page_pdf(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from("BT /F1 14 Tf 56 780 Td 18 TL\n");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        text.push_str(&format!("({escaped}) Tj T*\n"));
    }
    text.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Publishes the demo messages and file for `structure_id`, as `staff_id`.
pub async fn publish(state: &AppState, structure_id: &str, staff_id: &str) -> AppResult<()> {
    let today = paris_date(state.clock.now());
    let in_a_week = today
        .checked_add(jiff::Span::new().days(7))
        .map_err(|e| AppError::internal(e.to_string()))?;
    let now = state.clock.now().as_millisecond();
    let messages = [
        MessageText {
            title: "Inscriptions aux vacances de Noël",
            body: "Les inscriptions à l'accueil de loisirs des vacances de Noël sont ouvertes \
                   jusqu'au vendredi précédant les vacances à midi.\n\nLe centre est fermé \
                   les 24, 25 et 31 décembre et le 1er janvier.",
            published_from: &today.to_string(),
            published_until: None,
        },
        MessageText {
            title: "Repas de fête",
            body: "Un repas de fête sera servi à la cantine le dernier jeudi avant les \
                   vacances. Les menus adaptés (sans porc, sans viande) sont maintenus.",
            published_from: &in_a_week.to_string(),
            published_until: None,
        },
    ];
    for text in messages {
        let mut write = state.db.begin_write().await?;
        information::insert(&mut write.tx, structure_id, &new_id(), text, staff_id, now).await?;
        write.commit().await?;
    }
    let bytes = one_page_pdf(&[
        "Reglement interieur des services periscolaires",
        "Restauration scolaire, accueils du matin et du soir, mercredis, vacances.",
        "Reservations et annulations : voir les delais de chaque activite.",
    ]);
    let stored = StoredDownload {
        id: new_id(),
        structure_id: structure_id.to_string(),
        object_key: new_id(),
        published_by: staff_id.to_string(),
        download: Download {
            title: "Règlement intérieur".into(),
            description: "Règles de fonctionnement de la cantine et des accueils périscolaires"
                .into(),
            file_name: "reglement-interieur.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(Sha256::digest(&bytes)),
            published_at_ms: now,
        },
    };
    crate::objects::store(state, &stored.object_key, bytes).await?;
    let mut write = state.db.begin_write().await?;
    downloads::insert(&mut write.tx, &stored).await?;
    write.commit().await?;
    publication::refresh(state, structure_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartable_domain::supporting::{FileType, check_content};

    #[test]
    fn the_demo_pdf_passes_the_content_check() {
        let pdf = one_page_pdf(&["Bonjour (test)"]);
        assert_eq!(check_content(&pdf), Ok(FileType::Pdf));
        let text = String::from_utf8_lossy(&pdf);
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(
            text[xref..].starts_with("xref"),
            "startxref points at the table"
        );
    }
}
