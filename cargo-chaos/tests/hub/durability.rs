//! Many writers at once, and a crash: every acknowledged write is kept, none twice.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Case, Client, HubProc, Store, on_postgres, on_sqlite, token, try_request};

const T: &str = "/api/v1/organizations/org-1/teams/team-1";

const CASES: &[Case] = &[
    ("10,000 events from 50 clients are all stored once", ten_thousand_events_from_fifty_clients),
    ("a hub killed with SIGKILL keeps every acknowledged event", acknowledged_events_survive_sigkill),
];

#[test]
fn durability_on_sqlite() {
    on_sqlite(CASES);
}

#[test]
fn durability_on_postgres() {
    on_postgres(CASES);
}

fn seed(c: &Client) -> String {
    let exp = c.post(&format!("{T}/experiments"), &json!({"experiment": {"title": "load"}})).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let exec =
        c.post(&format!("{T}/experiments/{exp}/executions"), &json!({"journal": {"status": "running"}}));
    format!("{T}/experiments/{exp}/executions/{}", exec.json()["id"].as_str().unwrap())
}

fn event(id: &str) -> Vec<u8> {
    json!({"specversion": "1.0", "id": id, "source": "chaos-test", "type": "walk-finished",
           "data": "{\"context\": {\"name\": \"w\"}, \"state\": null}"})
    .to_string()
    .into_bytes()
}

fn post_event(c: &Client, path: &str, id: &str) -> std::io::Result<u16> {
    let auth = format!("Bearer {}", c.token);
    let h = [("Authorization", auth.as_str()), ("Content-Type", "application/cloudevents+json")];
    try_request(c.addr, "POST", path, &h, Some(&event(id))).map(|r| r.status)
}

/// Every stored event id of an execution, read page by page.
fn stored_ids(c: &Client, path: &str) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let page = c.get(&format!("{path}/events?limit=500&offset={}", ids.len())).json();
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            assert_eq!(ids.len() as i64, page["total"].as_i64().unwrap());
            return ids;
        }
        ids.extend(items.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
    }
}

fn ten_thousand_events_from_fifty_clients(store: &Store) {
    let db = store.spec();
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&token(&db, "org-1", "team-1", false));
    let exec = seed(&c);
    let started = Instant::now();
    let workers: Vec<_> = (0..50)
        .map(|w| {
            let (c, exec) = (c.clone(), format!("{exec}/events"));
            std::thread::spawn(move || {
                for i in 0..200 {
                    let id = format!("client{w}-event{i}");
                    assert_eq!(post_event(&c, &exec, &id).unwrap(), 201, "{id}");
                    // A client that retries (its answer lost) sends the same event again.
                    if i % 10 == 0 {
                        assert_eq!(post_event(&c, &exec, &id).unwrap(), 201, "{id} again");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    eprintln!("11,000 posts (10,000 events) in {:?}", started.elapsed());
    let ids = stored_ids(&c, &exec);
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), 10_000, "every event stored, retries not duplicated");
    assert_eq!(unique.len(), 10_000);
    assert!(unique.contains(&"client49-event199".to_owned()));
}

fn acknowledged_events_survive_sigkill(store: &Store) {
    let db = store.spec();
    let tok = token(&db, "org-1", "team-1", false);
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&tok);
    let exec = seed(&c);
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (c, path, acked, stop) = (c.clone(), format!("{exec}/events"), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        break;
                    }
                    let id = format!("w{w}-{i}");
                    match post_event(&c, &path, &id) {
                        Ok(201) => acked.lock().unwrap().push(id),
                        Ok(s) => panic!("{id}: {s}"),
                        // The hub is gone: this write was never acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Kill it mid-stream, once a good number of writes were acknowledged.
    let deadline = Instant::now() + Duration::from_secs(15);
    while acked.lock().unwrap().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    hub.kill();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    if let Store::Sqlite(_) = store {
        assert!(std::path::Path::new(&format!("{db}-wal")).exists(), "SQLite runs in WAL mode");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 200, "the writers were acknowledged before the kill: {}", acked.len());
    let hub = HubProc::start(&db, &[]);
    let stored: HashSet<String> = stored_ids(&hub.client(&tok), &exec).into_iter().collect();
    let lost: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        lost.first()
    );
    eprintln!("{} acknowledged events all kept after SIGKILL", acked.len());
}
