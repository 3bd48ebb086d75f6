//! A write to many documents at once (the ledgers of a monthly run's batch, written in a few
//! statements for the whole batch): the documents not in memory, or moved on by another
//! server process, are loaded from storage; each new version is stored as a chunk, or as a
//! snapshot once chunks piled up; a document that does not exist refuses the whole write.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc, ScalarValue, Value};
use cartable_core::domain::ids::{DocumentId, FamilyId, StructureId};
use cartable_server::db::documents;
use cartable_tests::{Backend, TestServer, backends};
use sqlx::Row;

/// Every document of the seeded families.
fn family_documents(server: &TestServer, seed: &cartable_tests::Seed) -> Vec<DocumentId> {
    server.block_on(async {
        let mut conn = server.state.db.pool.acquire().await.expect("connection");
        let structure = StructureId::from(seed.structure_id.as_str());
        let mut ids = Vec::new();
        for family in &seed.families {
            let family = FamilyId::from(family.family_id.as_str());
            let docs = documents::of_family(&mut conn, &structure, &family)
                .await
                .expect("documents");
            ids.extend(docs.into_iter().map(|d| d.id));
        }
        ids
    })
}

/// What storage holds of `doc_id`: its version, its chunks' snapshot flags in order, and the
/// document they load into.
fn stored(server: &TestServer, doc_id: &DocumentId) -> (i64, Vec<i64>, AutoCommit) {
    server.block_on(async {
        let mut conn = server.state.db.pool.acquire().await.expect("connection");
        let version = documents::version(&mut conn, doc_id)
            .await
            .expect("version")
            .expect("the document exists");
        let flags =
            sqlx::query("SELECT is_snapshot FROM document_chunks WHERE doc_id = $1 ORDER BY seq")
                .bind(doc_id.as_str())
                .fetch_all(&mut *conn)
                .await
                .expect("chunks")
                .iter()
                .map(|r| r.get::<i64, _>("is_snapshot"))
                .collect();
        let stored = documents::load_stored(&mut conn, doc_id)
            .await
            .expect("bytes");
        let doc = AutoCommit::load(&stored.bytes).expect("the stored chunks load");
        (version, flags, doc)
    })
}

fn int(doc: &AutoCommit, key: &str) -> Option<i64> {
    match doc.get(ROOT, key).expect("read") {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Int(i) => Some(*i),
            _ => None,
        },
        _ => None,
    }
}

/// Puts `key` = `value` in every document of `ids`, in one batch of `server`.
fn write_all(server: &TestServer, ids: &[DocumentId], key: &str, value: i64) {
    server.block_on(async {
        let mut write = server
            .state
            .docs
            .begin_batch_write(&server.state.db, ids)
            .await
            .expect("begin");
        for index in 0..write.doc_ids().len() {
            let (_, doc) = write.parts(index).expect("document");
            doc.put(ROOT, key, value).expect("put");
        }
        write
            .commit(server.settings().compaction_threshold)
            .await
            .expect("commit");
    });
}

#[test]
fn a_batch_loads_what_memory_lacks_and_stores_chunks_then_a_snapshot() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        // Documents leave memory as soon as they are idle; two chunks at most.
        let server = TestServer::start_with(backend, |s| {
            s.doc_cache_bytes = 1;
            s.compaction_threshold = 2;
        });
        let seed = server.seed(3);
        let ids = family_documents(&server, &seed);
        assert!(ids.len() >= 6, "{ids:?}");
        let mut expected: Vec<(i64, Vec<i64>)> = ids
            .iter()
            .map(|id| {
                let (version, flags, _) = stored(&server, id);
                (version, flags)
            })
            .collect();

        for round in 1..=3 {
            let loads = server.state.docs.loads();
            write_all(&server, &ids, "round", round);
            let loaded = server.state.docs.loads() - loads;
            // All but the last one let go of in the batch before were evicted (a background
            // task holding one at that moment keeps it: at least half, not all).
            assert!(
                2 * loaded as usize >= ids.len(),
                "round {round}: {loaded} of {} loaded",
                ids.len()
            );
            for (id, (version, flags)) in ids.iter().zip(expected.iter_mut()) {
                *version += 1;
                if flags.len() + 1 > 2 {
                    *flags = vec![1];
                } else {
                    flags.push(0);
                }
                let (stored_version, stored_flags, doc) = stored(&server, id);
                assert_eq!(
                    (stored_version, &stored_flags),
                    (*version, &*flags),
                    "round {round}, {id}"
                );
                assert_eq!(int(&doc, "round"), Some(round), "{id}");
            }
        }
        assert!(
            expected.iter().all(|(_, flags)| flags.len() <= 2),
            "compacted"
        );

        // A document that does not exist: nothing is written.
        let mut with_unknown = ids.clone();
        with_unknown.push(DocumentId::from("pas-un-document"));
        let refused = server.block_on(
            server
                .state
                .docs
                .begin_batch_write(&server.state.db, &with_unknown),
        );
        assert!(refused.is_err(), "an unknown document refuses the batch");
        for (id, (version, _)) in ids.iter().zip(&expected) {
            assert_eq!(stored(&server, id).0, *version, "{id} untouched");
        }
    }
}

#[test]
fn a_batch_reloads_the_documents_another_process_wrote() {
    for backend in backends() {
        if backend != Backend::Postgres {
            continue;
        }
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start(backend);
        let other = server.another_process();
        let seed = server.seed(2);
        let ids = family_documents(&server, &seed);

        // In this process's memory after its write; then moved on by the other process.
        write_all(&server, &ids, "here", 1);
        write_all(&other, &ids, "there", 2);
        write_all(&server, &ids, "here", 3);
        for id in &ids {
            let (_, _, doc) = stored(&server, id);
            assert_eq!(
                (int(&doc, "here"), int(&doc, "there")),
                (Some(3), Some(2)),
                "{id}"
            );
        }
    }
}
