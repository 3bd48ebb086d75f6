//! The size limits incoming changes must keep to (from the server's settings).

/// Bounds on what one sync request may bring. The defaults leave room for a parent who stayed
/// offline for weeks (a whole school year of bookings is about 3,000 cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Changes in one request, all documents together.
    pub max_changes_per_request: usize,
    /// Operations in one request, all documents together.
    pub max_ops_per_request: usize,
    /// Bytes of one text value or map key (UTF-8).
    pub max_string_bytes: usize,
    /// Items of one list.
    pub max_list_items: usize,
    /// Keys of one map (e.g. planning cells).
    pub max_map_keys: usize,
    /// Changes of one device and document kept while their dependencies are awaited.
    pub max_orphan_changes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_changes_per_request: 5_000,
            max_ops_per_request: 100_000,
            max_string_bytes: 8 * 1024,
            max_list_items: 200,
            max_map_keys: 20_000,
            max_orphan_changes: 1_000,
        }
    }
}
