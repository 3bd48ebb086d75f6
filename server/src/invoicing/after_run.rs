//! The work after each batch of a monthly run is committed, in two stages that run beside
//! the numbering of the next batches: the PDFs (on the blocking threads), then the ledgers
//! (on the runtime, through the write gate). Each stage takes the next batch as soon as it is
//! done with one, so rendering never waits for a ledger to be published and the numbering
//! never waits for either; each stage keeps at most one batch waiting, so a run holds a few
//! batches in memory, not the month.
//!
//! A stage that fails logs it and goes on (see [`issued::after_commit`]); one that panics
//! stops its stage, and what it did not do is done on demand: a missing PDF is rendered when
//! first asked for, a stale ledger is republished at the family's next sync.

use super::issued;
use super::pdf::StoredPdf;
use crate::AppState;
use crate::db::invoices::InvoiceRow;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The two stages after a run's commits, fed one committed batch at a time.
pub struct AfterRun {
    to_render: mpsc::Sender<Vec<InvoiceRow>>,
    stages: JoinHandle<()>,
}

impl AfterRun {
    /// Starts the stages for a run of `structure_id`.
    pub fn start(state: &AppState, structure_id: &str) -> Self {
        let (to_render, mut rendering) = mpsc::channel::<Vec<InvoiceRow>>(1);
        let (to_publish, mut publishing) = mpsc::channel::<(Vec<InvoiceRow>, Vec<StoredPdf>)>(1);
        let publisher = {
            let (state, structure_id) = (state.clone(), structure_id.to_string());
            tokio::spawn(async move {
                while let Some((rows, stored)) = publishing.recv().await {
                    issued::publish(&state, &structure_id, &rows, &stored).await;
                }
            })
        };
        let state = state.clone();
        let stages = tokio::spawn(async move {
            while let Some(rows) = rendering.recv().await {
                let stored = issued::render(&state, &rows).await;
                if to_publish.send((rows, stored)).await.is_err() {
                    break;
                }
            }
            drop(to_publish);
            if let Err(e) = publisher.await {
                tracing::error!(error = %e, "ledgers of a run interrupted; republished at next sync");
            }
        });
        AfterRun { to_render, stages }
    }

    /// Hands a committed batch's rows to the stages; waits while a batch is already waiting
    /// to be rendered.
    pub async fn push(&self, rows: Vec<InvoiceRow>) {
        if self.to_render.send(rows).await.is_err() {
            tracing::error!("invoice PDFs of a run interrupted; rendered on demand");
        }
    }

    /// Waits until every batch handed over has its PDFs and ledgers.
    pub async fn finish(self) {
        drop(self.to_render);
        if let Err(e) = self.stages.await {
            tracing::error!(error = %e, "invoice PDFs of a run interrupted; rendered on demand");
        }
    }
}
