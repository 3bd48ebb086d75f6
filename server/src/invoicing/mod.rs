//! Mes Factures on the server: the monthly run (preview, issue with gapless numbering),
//! credit notes, payments, the families' ledger documents, PDFs, the CSV export, the annual
//! statement and the online payment interface. The logic lives here; the staff JSON API
//! (`routes/staff/invoicing.rs`) and the admin page call these functions.

pub mod after_run;
pub mod annual;
pub mod batch;
pub mod content;
pub mod credit_notes;
pub mod export;
pub mod inputs;
pub mod issued;
pub mod ledger;
pub mod ledger_batch;
pub mod ledger_pdf;
pub mod ledger_rows;
pub mod ledger_write;
pub mod payments;
pub mod pdf;
pub mod provider;
pub mod quotient;
pub mod render_pool;
pub mod run;
