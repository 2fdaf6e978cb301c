//! The device's sync session without a server: each request read back from its bytes, each
//! answer built by hand as the server would send it, on a real store.

use wardbook::demo;
use wardbook::ids::RecordId;
use wardbook::store::{Store, SyncState};
use wardbook::sync::wire::{self, Cursor, NumberBlock, Outcome, RecordBytes, SyncRequest, SyncResponse};
use wardbook::sync::{Progress, SessionConfig, SyncReport, SyncSession, session};

use crate::{Device, T0};

/// A new inspection saved at `T0 + n` (the outbox goes oldest first).
fn inspection(store: &mut Store, n: u32) -> RecordId {
    let at = T0 + i64::from(n);
    let record = demo::inspection(RecordId::new(), at, "W01", n);
    store.create(&record, at).unwrap();
    record.id
}

/// Each request carries one record's changes; no receipt numbers asked for.
fn one_record_per_request() -> SessionConfig {
    SessionConfig { outbox_bytes: 1, page_bytes: 2048, low_water: 0, ..SessionConfig::default() }
}

fn cursor(seq: u64) -> Cursor {
    Cursor { seq, bootstrapped: true, snapshot_after: None, epoch: "e1".into() }
}

/// The server's acknowledgement of every change of `request`, all with `outcome`.
fn acks(request: &SyncRequest, outcome: &Outcome) -> Vec<Outcome> {
    request.changes.iter().map(|_| outcome.clone()).collect()
}

fn answer(acks: Vec<Outcome>, items: Vec<RecordBytes>, seq: u64, more: bool) -> SyncResponse {
    SyncResponse {
        protocol: wire::PROTOCOL_VERSION,
        acks,
        items,
        cursor: cursor(seq),
        more,
        reset: false,
        number_blocks: vec![],
        reference: None,
    }
}

fn records_of(request: &SyncRequest) -> Vec<RecordId> {
    let mut ids: Vec<RecordId> = request.changes.iter().map(|c| c.record).collect();
    ids.dedup();
    ids
}

#[test]
fn one_exchange_sends_the_outbox_applies_the_answer_and_finishes() {
    let mut device = Device::new();
    let store = &mut device.store;
    let mine = inspection(store, 1);
    let mut other = Device::new();
    let theirs = inspection(&mut other.store, 2);
    let fy = wardbook::calendar::financial_year(T0);

    let mut session = SyncSession::new(SessionConfig::default());
    let sent = session.poll_request(store, T0).unwrap().expect("a request");
    let request = wire::decode_request(&sent).unwrap();
    assert_eq!(records_of(&request), vec![mine]);
    assert_eq!(request.cursor, Cursor::default());
    assert_eq!(request.max_page_bytes, Some(session::FIRST_PAGE_BYTES));
    assert_eq!(
        request.want_numbers,
        Some(wire::NumberRequest { fy: fy.clone(), count: session::NUMBER_BLOCK }),
        "no numbers left for the year of now: a block is asked for"
    );
    assert_eq!(store.row(mine).unwrap().sync_state, SyncState::Waiting);

    let page = vec![RecordBytes { record: theirs, bytes: other.store.document(theirs).unwrap().save() }];
    let mut response = answer(acks(&request, &Outcome::Stored { seq: 1 }), page, 2, false);
    response.number_blocks = vec![NumberBlock { fy: fy.clone(), first: 1, last: 100 }];
    let received = wire::encode(&response);
    assert_eq!(session.handle_response(store, &received, T0 + 5).unwrap(), Progress::Done);

    assert_eq!(store.row(mine).unwrap().sync_state, SyncState::OnServer);
    assert_eq!(store.get(theirs).unwrap().id, theirs, "the page was merged");
    assert_eq!(store.cursor().unwrap(), cursor(2));
    assert_eq!(store.numbers_left(&fy).unwrap(), 100);
    assert_eq!(store.setting(session::LAST_SYNC_AT).unwrap(), Some((T0 + 5).to_string()));
    let expected = SyncReport {
        requests: 1,
        pushed: request.changes.len(),
        confirmed: 1,
        rejected: 0,
        received: 1,
        bytes_sent: sent.len(),
        bytes_received: received.len(),
    };
    assert_eq!(session.report(), &expected);
    assert!(session.is_done());
    assert_eq!(session.poll_request(store, T0 + 6).unwrap(), None, "a finished session sends nothing");

    // The next sync: nothing to send, numbers enough, from the stored cursor.
    let mut next = SyncSession::new(SessionConfig::default());
    let request = wire::decode_request(&next.poll_request(store, T0 + 7).unwrap().unwrap()).unwrap();
    assert!(request.changes.is_empty());
    assert_eq!(request.want_numbers, None);
    assert_eq!(request.cursor, cursor(2));
}

#[test]
fn it_goes_on_while_there_are_pages_or_a_cut_outbox_that_moves_and_stops_when_it_does_not() {
    let mut device = Device::new();
    let store = &mut device.store;
    let ids = [inspection(store, 1), inspection(store, 2), inspection(store, 3)];
    let mut session = SyncSession::new(one_record_per_request());

    let request = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    assert_eq!(records_of(&request), vec![ids[0]]);
    assert_eq!((request.max_page_bytes, &request.want_numbers), (Some(2048), &None));
    let response = wire::encode(&answer(acks(&request, &Outcome::Duplicate), vec![], 1, true));
    assert_eq!(session.handle_response(store, &response, T0).unwrap(), Progress::Again);

    // The outbox was cut and the answer settled it: the next request carries the next record.
    let request = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    assert_eq!(records_of(&request), vec![ids[1]]);
    assert_eq!(request.cursor, cursor(1));
    // An answer that settles nothing of a cut outbox, with no more pages: the sync is over.
    let response = wire::encode(&answer(vec![], vec![], 1, false));
    assert_eq!(session.handle_response(store, &response, T0).unwrap(), Progress::Done);
    assert_eq!(store.setting(session::LAST_SYNC_AT).unwrap(), Some(T0.to_string()));
    assert_eq!(store.waiting_count().unwrap(), 2, "the unsettled records wait for the next sync");
    assert_eq!(session.report().requests, 2);
    assert_eq!(session.report().confirmed, 1);

    // A rejection settles a record too: the record is kept, shown refused.
    let mut session = SyncSession::new(one_record_per_request());
    let request = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    let refused = Outcome::Rejected { code: "ward_out_of_scope".into(), reason: "W01 is not yours".into() };
    let response = wire::encode(&answer(acks(&request, &refused), vec![], 1, false));
    assert_eq!(session.handle_response(store, &response, T0).unwrap(), Progress::Again, "the outbox was cut");
    assert_eq!(store.row(records_of(&request)[0]).unwrap().sync_state, SyncState::Rejected);
    let request = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    let response = wire::encode(&answer(acks(&request, &Outcome::Stored { seq: 2 }), vec![], 2, false));
    assert_eq!(session.handle_response(store, &response, T0).unwrap(), Progress::Done, "the whole outbox went");
    assert_eq!(store.waiting_count().unwrap(), 0);
    assert_eq!((session.report().rejected, session.report().confirmed), (1, 1));
}

#[test]
fn a_lost_request_is_read_again_from_the_store_and_a_late_answer_is_not_applied() {
    let mut device = Device::new();
    let store = &mut device.store;
    let first = inspection(store, 1);
    let config = SessionConfig { low_water: 0, ..SessionConfig::default() };
    let mut session = SyncSession::new(config);

    let lost = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    session.lost();
    // Written while the request was out: the next request carries both records.
    let second = inspection(store, 2);
    let request = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    assert_eq!(records_of(&request), vec![first, second]);
    let response = wire::encode(&answer(acks(&request, &Outcome::Stored { seq: 5 }), vec![], 5, true));
    assert_eq!(session.handle_response(store, &response, T0).unwrap(), Progress::Again);

    // The lost request's answer arrives after all: it is older than the store, and not applied.
    let late = wire::encode(&answer(acks(&lost, &Outcome::Stored { seq: 1 }), vec![], 1, false));
    assert_eq!(session.handle_response(store, &late, T0).unwrap(), Progress::Again);
    assert_eq!(store.cursor().unwrap(), cursor(5), "the cursor never goes back");
    assert_eq!(session.report().requests, 1);

    // Bytes that are no answer: an error, and the request counts as lost.
    session.poll_request(store, T0).unwrap().unwrap();
    assert!(matches!(session.handle_response(store, b"not an answer", T0), Err(wardbook::Error::Protocol(_))));
    let request = wire::decode_request(&session.poll_request(store, T0).unwrap().unwrap()).unwrap();
    assert_eq!(request.cursor, cursor(5));
    let response = wire::encode(&answer(vec![], vec![], 5, false));
    assert_eq!(session.handle_response(store, &response, T0).unwrap(), Progress::Done);
    assert_eq!(store.waiting_count().unwrap(), 0);
}

#[test]
fn pages_grow_while_answers_come_quickly_and_shrink_when_they_crawl() {
    let mut device = Device::new();
    let store = &mut device.store;
    let mut session = SyncSession::new(SessionConfig { low_water: 0, ..SessionConfig::default() });
    let mut now = T0;
    let mut exchange = |session: &mut SyncSession, store: &mut Store, took: i64| {
        let request = wire::decode_request(&session.poll_request(store, now).unwrap().unwrap()).unwrap();
        now += took;
        let response = wire::encode(&answer(vec![], vec![], 0, true));
        assert_eq!(session.handle_response(store, &response, now).unwrap(), Progress::Again);
        request.max_page_bytes.unwrap()
    };
    // A LAN: each answer within a few milliseconds; the page doubles up to the server's limit.
    let asked: Vec<u32> = (0..7).map(|_| exchange(&mut session, store, 5)).collect();
    let kib: Vec<u32> = asked.iter().map(|b| b / 1024).collect();
    assert_eq!(kib, vec![64, 128, 256, 512, 1024, 1024, 1024]);
    // A 2G link: a page that takes ten seconds halves the next one, down to a floor.
    let asked: Vec<u32> = (0..7).map(|_| exchange(&mut session, store, 10_000)).collect();
    let kib: Vec<u32> = asked.iter().map(|b| b / 1024).collect();
    assert_eq!(kib, vec![1024, 512, 256, 128, 64, 32, 16]);
    assert_eq!(session.page_bytes(), 16 * 1024, "never below a quarter of the first page");
    // Answers in between (two to six seconds) keep the size.
    assert_eq!(exchange(&mut session, store, 3_000), 16 * 1024);
    assert_eq!(session.page_bytes(), 16 * 1024);
}
