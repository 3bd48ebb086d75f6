//! Online payment: the interface a provider (the public PayFiP service, a card acquirer)
//! plugs into, and a test double. A family starts a payment for an invoice; the provider
//! sends the family to its page and later confirms; a confirmation is recorded as a card
//! payment exactly once (`UNIQUE (provider, provider_ref)`), however often it arrives.

use super::payments::{self, NewPayment};
use crate::AppState;
use crate::db::invoices::PaymentRow;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Mutex;

/// What a family asks to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub structure_id: String,
    pub family_id: String,
    pub invoice_number: String,
    pub amount_cents: i64,
    /// Where the provider sends the family back.
    pub return_url: String,
}

/// A payment started at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedPayment {
    /// The provider's reference for this payment.
    pub provider_ref: String,
    /// The provider's page the family is sent to.
    pub redirect_url: String,
}

/// What the provider says of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderStatus {
    Pending,
    Paid { amount_cents: i64, paid_on: String },
    Refused { reason: String },
}

/// An online payment provider.
pub trait PaymentProvider: Send + Sync {
    /// A stable name stored with each payment ("payfip").
    fn name(&self) -> &str;
    fn start(&self, request: &PaymentRequest) -> AppResult<StartedPayment>;
    fn status(&self, provider_ref: &str) -> AppResult<ProviderStatus>;
}

/// Asks the provider about `provider_ref` and records the payment once it is paid.
pub async fn confirm(
    state: &AppState,
    provider: &dyn PaymentProvider,
    request: &PaymentRequest,
    provider_ref: &str,
) -> AppResult<Option<PaymentRow>> {
    match provider.status(provider_ref)? {
        ProviderStatus::Paid {
            amount_cents,
            paid_on,
        } => {
            let payment = NewPayment {
                family_id: request.family_id.clone(),
                method: "card".into(),
                amount_cents,
                received_on: Some(paid_on),
                invoice_number: Some(request.invoice_number.clone()),
                reference: format!("{} {provider_ref}", provider.name()),
            };
            let row = payments::record(
                state,
                &request.structure_id,
                provider.name(),
                payment,
                Some((provider.name(), provider_ref)),
            )
            .await?;
            Ok(Some(row))
        }
        ProviderStatus::Pending | ProviderStatus::Refused { .. } => Ok(None),
    }
}

/// A provider for tests and demos: payments are paid when [`FakeProvider::pay`] says so.
#[derive(Debug, Default)]
pub struct FakeProvider {
    started: Mutex<HashMap<String, (i64, Option<String>)>>,
}

impl FakeProvider {
    /// Marks a started payment as paid on `day`.
    pub fn pay(&self, provider_ref: &str, day: &str) {
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = started.get_mut(provider_ref) {
            entry.1 = Some(day.to_string());
        }
    }
}

impl PaymentProvider for FakeProvider {
    fn name(&self) -> &str {
        "test"
    }

    fn start(&self, request: &PaymentRequest) -> AppResult<StartedPayment> {
        let provider_ref = format!("test-{}", crate::auth::new_id());
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        started.insert(provider_ref.clone(), (request.amount_cents, None));
        Ok(StartedPayment {
            redirect_url: format!("https://paiement.test/{provider_ref}"),
            provider_ref,
        })
    }

    fn status(&self, provider_ref: &str) -> AppResult<ProviderStatus> {
        let started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match started.get(provider_ref) {
            Some((amount, Some(day))) => ProviderStatus::Paid {
                amount_cents: *amount,
                paid_on: day.clone(),
            },
            Some((_, None)) => ProviderStatus::Pending,
            None => ProviderStatus::Refused {
                reason: "paiement inconnu".into(),
            },
        })
    }
}
