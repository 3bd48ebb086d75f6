//! The work after each batch of a monthly run is committed, in two stages that run beside
//! the numbering of the next batches: the PDFs (on the rendering threads of
//! [`super::render_pool`]), then the ledgers (on the runtime, through the write gate).
//! Rendering takes the next batch as soon as a batch is committed, with up to [`RENDERING`]
//! batches at once, so the rendering threads never wait for the slowest PDF of a batch, nor
//! for a ledger to be published; the numbering never waits for either. Each stage keeps at
//! most one batch waiting, so a run holds a few batches in memory, not the month.
//!
//! Batches are published in the order their PDFs are done: a monthly run invoices each
//! family once, so two batches never touch the same ledger.
//!
//! A stage that fails logs it and goes on (see [`issued::after_commit`]); one that panics
//! stops its batch, and what it did not do is done on demand: a missing PDF is rendered when
//! first asked for, a stale ledger is republished at the family's next sync.

use super::batch::Committed;
use super::issued;
use super::pdf::StoredPdf;
use crate::AppState;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};

/// How many batches are rendered at once (each in two jobs of the rendering threads): while
/// the last PDFs of one batch are made, the next batch keeps the other core busy.
const RENDERING: usize = 2;

/// The two stages after a run's commits, fed one committed batch at a time.
pub struct AfterRun {
    to_render: mpsc::Sender<Committed>,
    stages: JoinHandle<()>,
}

impl AfterRun {
    /// Starts the stages for a run of `structure_id`.
    pub fn start(state: &AppState, structure_id: &str) -> Self {
        let (to_render, mut rendering) = mpsc::channel::<Committed>(1);
        let (to_publish, mut publishing) = mpsc::channel::<(Committed, Vec<StoredPdf>)>(1);
        let publisher = {
            let (state, structure_id) = (state.clone(), structure_id.to_string());
            tokio::spawn(async move {
                while let Some((batch, stored)) = publishing.recv().await {
                    issued::publish(&state, &structure_id, &batch.rows, &stored, &batch.held).await;
                }
            })
        };
        let state = state.clone();
        let stages = tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(RENDERING));
            let mut renderers = JoinSet::new();
            while let Some(batch) = rendering.recv().await {
                // A slot is free once a batch's PDFs are handed to the publishing stage.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let (state, to_publish) = (state.clone(), to_publish.clone());
                renderers.spawn(async move {
                    let stored = issued::render(&state, &batch.rows).await;
                    if to_publish.send((batch, stored)).await.is_err() {
                        tracing::error!("ledgers of a run interrupted; republished at next sync");
                    }
                    drop(slot);
                });
                while let Some(done) = renderers.try_join_next() {
                    log_interrupted(done);
                }
            }
            while let Some(done) = renderers.join_next().await {
                log_interrupted(done);
            }
            drop(to_publish);
            if let Err(e) = publisher.await {
                tracing::error!(error = %e, "ledgers of a run interrupted; republished at next sync");
            }
        });
        AfterRun { to_render, stages }
    }

    /// Hands a committed batch to the stages; waits while a batch is already waiting to be
    /// rendered.
    pub async fn push(&self, batch: Committed) {
        if self.to_render.send(batch).await.is_err() {
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

fn log_interrupted(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "invoice PDFs of a batch interrupted; rendered on demand");
    }
}
