//! The signed-in device: server, token, account, family, and this device's Automerge actor.
//!
//! A session is created at login and wiped (with every document) at logout: a phone that is
//! handed over keeps nothing of the family. The actor id is random per login, so two devices
//! of one family never write changes under the same actor.

use crate::error::Result;
use crate::store::{self, MetaKey};
use automerge::ActorId;
use cartable_domain::api::LoginResponse;
use rusqlite::Connection;
use serde::Serialize;

/// Who this device is signed in as (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Base URL of the server, e.g. `https://portail.mairie.fr`.
    pub server_url: String,
    pub account_id: String,
    pub family_id: String,
    pub structure_id: String,
    pub device_id: String,
    /// Name of the parent, for greetings.
    pub display_name: String,
    /// The login name used to sign in.
    pub login: String,
    /// The password used was one-time: [`crate::Client::change_password`] must set the
    /// parent's own before anything else works (the server answers
    /// `password_change_required` until then).
    pub must_change_password: bool,
}

/// The session as stored in `meta`.
#[derive(Clone)]
pub(crate) struct Session {
    pub account: Account,
    pub token: String,
    pub actor: ActorId,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.account)
            .field("token", &"<caché>")
            .finish()
    }
}

impl Session {
    /// The stored session, if this device is signed in.
    pub fn load(conn: &Connection) -> Result<Option<Self>> {
        let Some(token) = store::get_meta(conn, MetaKey::Token)? else {
            return Ok(None);
        };
        let get = |k| -> Result<String> { Ok(store::get_meta(conn, k)?.unwrap_or_default()) };
        let actor = crate::docs::parse_actor(&get(MetaKey::ActorId)?)?;
        Ok(Some(Self {
            account: Account {
                server_url: get(MetaKey::ServerUrl)?,
                account_id: get(MetaKey::AccountId)?,
                family_id: get(MetaKey::FamilyId)?,
                structure_id: get(MetaKey::StructureId)?,
                device_id: get(MetaKey::DeviceId)?,
                display_name: get(MetaKey::DisplayName)?,
                login: get(MetaKey::Login)?,
                must_change_password: get(MetaKey::MustChangePassword)? == "1",
            },
            token,
            actor,
        }))
    }

    /// Builds the session for a successful login as `login`, with a fresh random actor id.
    pub fn from_login(server_url: &str, login: &str, response: LoginResponse) -> Self {
        Self {
            account: Account {
                server_url: server_url.trim_end_matches('/').to_string(),
                account_id: response.account_id,
                family_id: response.family_id,
                structure_id: response.structure_id,
                device_id: response.device_id,
                display_name: response.display_name,
                login: login.trim().to_string(),
                must_change_password: response.must_change_password,
            },
            token: response.token,
            actor: ActorId::random(),
        }
    }

    /// Writes the session to `meta`.
    pub fn save(&self, conn: &Connection) -> Result<()> {
        let a = &self.account;
        store::set_meta(conn, MetaKey::ServerUrl, &a.server_url)?;
        store::set_meta(conn, MetaKey::AccountId, &a.account_id)?;
        store::set_meta(conn, MetaKey::FamilyId, &a.family_id)?;
        store::set_meta(conn, MetaKey::StructureId, &a.structure_id)?;
        store::set_meta(conn, MetaKey::DeviceId, &a.device_id)?;
        store::set_meta(conn, MetaKey::DisplayName, &a.display_name)?;
        store::set_meta(conn, MetaKey::Login, &a.login)?;
        store::set_meta(
            conn,
            MetaKey::MustChangePassword,
            if a.must_change_password { "1" } else { "0" },
        )?;
        store::set_meta(conn, MetaKey::ActorId, &self.actor.to_hex_string())?;
        store::set_meta(conn, MetaKey::Token, &self.token)?;
        Ok(())
    }
}
