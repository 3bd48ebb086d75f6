//! Who an account is: a parent of a family, or staff of a structure (agent or administrator).

use serde::{Deserialize, Serialize};

/// The role of a login, stored as its code in `accounts.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A parent: books, keeps the dossier, reads invoices for one family.
    Parent,
    /// Staff doing daily work: lists, attendance, reviews, overrides.
    StaffAgent,
    /// Staff who also configure the structure and run invoicing.
    StaffAdmin,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Parent => "parent",
            Role::StaffAgent => "staff_agent",
            Role::StaffAdmin => "staff_admin",
        }
    }

    /// The role stored as `code`; `None` for a code this build does not know.
    pub fn from_code(code: &str) -> Option<Role> {
        match code {
            "parent" => Some(Role::Parent),
            "staff_agent" => Some(Role::StaffAgent),
            "staff_admin" => Some(Role::StaffAdmin),
            _ => None,
        }
    }

    /// True for a member of staff (agent or administrator).
    pub fn is_staff(self) -> bool {
        matches!(self, Role::StaffAgent | Role::StaffAdmin)
    }

    /// What the role is called in the French UI.
    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Parent => "parent",
            Role::StaffAgent => "agent",
            Role::StaffAdmin => "administrateur",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_their_codes() {
        for role in [Role::Parent, Role::StaffAgent, Role::StaffAdmin] {
            assert_eq!(Role::from_code(role.code()), Some(role));
            let json = serde_json::to_string(&role).expect("json");
            assert_eq!(json, format!("\"{}\"", role.code()));
        }
        assert_eq!(Role::from_code("root"), None);
        assert!(Role::StaffAgent.is_staff() && !Role::Parent.is_staff());
    }
}
