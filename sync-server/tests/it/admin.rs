//! The admin commands, run as the engineer runs them: the real binary on the backend under test.

use std::process::Command;

use crate::support::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

fn admin(db: &TestDb, args: &[&str]) -> Result<String, String> {
    let out = Command::new(BIN).args(db.args()).args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if out.status.success() { Ok(text(&out.stdout)) } else { Err(text(&out.stderr)) }
}

#[test]
fn an_engineer_sets_up_a_town_and_manages_its_devices() {
    let db = TestDb::new();
    admin(&db, &["tenant", "add", "pb.sangrur", "--name", "Sangrur"]).unwrap();
    let err = admin(&db, &["tenant", "add", "pb.sangrur", "--name", "Again"]).unwrap_err();
    assert!(err.contains("town pb.sangrur already exists"), "{err}");
    let user = admin(
        &db,
        &["user", "add", "--tenant", "pb.sangrur", "--name", "Asha", "--role", "inspector", "--ward", "W01"],
    )
    .unwrap();
    let user = user.trim();
    assert!(user.parse::<uuid::Uuid>().is_ok(), "user add prints the new id, got {user:?}");
    let err = admin(&db, &["user", "add", "--tenant", "pb.nowhere", "--name", "X", "--role", "inspector"]).unwrap_err();
    assert!(err.contains("no town pb.nowhere"), "{err}");
    let err = admin(&db, &["user", "add", "--tenant", "pb.sangrur", "--name", "X", "--role", "mayor"]).unwrap_err();
    assert!(err.contains("unknown Role value \"mayor\""), "{err}");

    let enrolled = admin(&db, &["device", "enroll", "--tenant", "pb.sangrur", "--user", user]).unwrap();
    let device = enrolled.lines().find_map(|l| l.strip_prefix("device ")).unwrap().to_string();
    let code = enrolled.lines().find_map(|l| l.strip_prefix("enrollment code ")).unwrap();
    assert_eq!(code.len(), 12, "a code like K7PM-Q2XD-9R, got {code}");
    let listed = admin(&db, &["device", "list", "--tenant", "pb.sangrur"]).unwrap();
    assert!(listed.contains(&device) && listed.contains("code issued"), "{listed}");
    assert_eq!(admin(&db, &["device", "list", "--tenant", "pb.other"]).unwrap(), "");
    admin(&db, &["device", "revoke", &device]).unwrap();
    let listed = admin(&db, &["device", "list"]).unwrap();
    assert!(listed.contains(&format!("{device} pb.sangrur {user} revoked")), "{listed}");
    let err = admin(&db, &["device", "revoke", "not-a-device"]).unwrap_err();
    assert!(err.contains("no device not-a-device"), "{err}");
}
