//! `cartable push`: the device's push subscription and reading a received message.

use crate::Output;
use crate::cli::PushCommand;
use cartable_core::domain::push::PushKind;
use cartable_core::{Client, Error};
use serde_json::json;
use std::io::Read;
use std::path::Path;

fn kinds(names: &[String]) -> Result<Vec<PushKind>, Error> {
    if names.is_empty() {
        return Ok(PushKind::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| {
            PushKind::from_code(n.trim()).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "sujet « {n} » inconnu (invoice, information, booking, document, dossier)"
                ))
            })
        })
        .collect()
}

fn read_body(file: &Path) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let read = if file == Path::new("-") {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| Error::InvalidInput(format!("lecture de {} : {e}", file.display())))?;
    Ok(bytes)
}

pub fn run(client: &Client, action: PushCommand) -> Result<Output, Error> {
    match action {
        PushCommand::Show => {
            let setup = client.push_setup()?;
            let subscription = client.push_subscription()?;
            let mut text = format!(
                "Clé VAPID du serveur (applicationServerKey) : {}\n\
                 Clé publique de l'appareil (p256dh) : {}\n\
                 Secret d'authentification (auth) : {}\n",
                setup.vapid_public_key, setup.p256dh, setup.auth
            );
            match &subscription {
                Some(s) => {
                    let names: Vec<&str> = s.kinds.iter().map(|k| k.label_fr()).collect();
                    text.push_str(&format!(
                        "Abonné : {}\nSujets : {}\n",
                        s.endpoint,
                        if names.is_empty() {
                            "aucun".into()
                        } else {
                            names.join(", ")
                        }
                    ));
                    if s.key_rotated {
                        text.push_str(
                            "La clé du serveur a changé : réabonnez l'appareil avec la nouvelle clé.\n",
                        );
                    }
                }
                None => text.push_str("Cet appareil n'est pas abonné aux notifications.\n"),
            }
            Ok(Output::new(
                text,
                json!({"setup": setup, "subscription": subscription}),
            ))
        }
        PushCommand::Register {
            endpoint,
            kinds: names,
        } => {
            let view = client.register_push(&endpoint, &kinds(&names)?)?;
            Ok(Output::new(
                format!("Abonnement enregistré ({} sujet(s)).", view.kinds.len()),
                serde_json::to_value(&view).unwrap_or_default(),
            ))
        }
        PushCommand::Unregister => {
            client.unregister_push()?;
            Ok(Output::new(
                "Notifications arrêtées sur cet appareil.",
                json!({"ok": true}),
            ))
        }
        PushCommand::Open { file, sync } => {
            let body = read_body(&file)?;
            let (notification, payload, sync_error) = if sync {
                let r = client.receive_push(&body)?;
                (r.notification, r.payload, r.sync_error)
            } else {
                let payload = client.open_push(&body)?;
                (client.push_notification(&payload)?, payload, None)
            };
            let mut text = format!("{}\n{}\n", notification.title, notification.body);
            if let Some(e) = &sync_error {
                text.push_str(&format!("(synchronisation impossible : {e})\n"));
            }
            Ok(Output::new(
                text,
                json!({"notification": notification, "payload": payload, "sync_error": sync_error}),
            ))
        }
    }
}
