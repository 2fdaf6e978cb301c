//! Lists, search, conflicts and reference data: reads of the materialized columns only, so a
//! list of 50,000 records never opens a document.

use crate::store::exec;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params_from_iter, types::Value as Sql};

use super::{Store, SyncState};
use crate::document::FieldConflict;
use crate::domain::workflow;
use crate::domain::{GeoPoint, RecordKind, ReferenceData, Status, UnixMillis};
use crate::ids::{RecordId, UserId, WardCode};
use crate::{Error, Result};

/// What a list screen asks for. Every filter is optional; `text` matches names, addresses
/// and receipt numbers anywhere in the text.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub kind: Option<RecordKind>,
    pub statuses: Vec<Status>,
    pub ward: Option<WardCode>,
    pub assignee: Option<UserId>,
    pub text: Option<String>,
    /// Only records in review or with conflicting edits.
    pub needs_attention: bool,
    pub limit: Option<u32>,
}

impl Query {
    /// Records of `kind` whose work is not over.
    pub fn open(kind: RecordKind) -> Query {
        let statuses = workflow::statuses(kind).into_iter().filter(|s| !workflow::is_final(kind, *s)).collect();
        Query { kind: Some(kind), statuses, ..Query::default() }
    }

    pub fn in_ward(mut self, ward: &str) -> Query {
        self.ward = Some(ward.to_string());
        self
    }
}

/// One line of a list: the materialized columns of a record.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecordRow {
    pub id: RecordId,
    pub kind: RecordKind,
    pub status: Status,
    pub ward: Option<WardCode>,
    pub assignee: Option<UserId>,
    pub title: String,
    pub updated_at: UnixMillis,
    pub amount_paise: Option<i64>,
    pub needs_review: bool,
    pub conflicts: u32,
    /// Saved on the device / waiting / on the server / rejected.
    pub sync_state: SyncState,
    pub created_by: UserId,
    /// Where a map shows it ([`crate::domain::Record::map_place`]).
    pub location: Option<GeoPoint>,
    /// When the work was done ([`crate::domain::Record::work_at`]); none when its document
    /// cannot be read.
    pub work_at: Option<UnixMillis>,
    /// [`crate::domain::Record::status_note`].
    pub note: Option<String>,
    /// The SHA-256 of the first photo it names.
    pub photo: Option<String>,
}

/// A conflicted field as the review list shows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredConflict {
    pub record: RecordId,
    pub conflict: FieldConflict,
}

fn bad_column(e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.to_string().into())
}

pub(super) fn parse<T: std::str::FromStr>(text: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(bad_column)
}

fn row(r: &Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: parse(r.get(0)?)?,
        kind: parse(r.get(1)?)?,
        status: parse(r.get(2)?)?,
        ward: r.get(3)?,
        assignee: r.get::<_, Option<String>>(4)?.map(parse).transpose()?,
        title: r.get(5)?,
        updated_at: r.get(6)?,
        amount_paise: r.get(7)?,
        needs_review: r.get(8)?,
        conflicts: r.get(9)?,
        sync_state: parse(r.get(10)?)?,
        created_by: parse(r.get(11)?)?,
        location: match (r.get::<_, Option<f64>>(12)?, r.get::<_, Option<f64>>(13)?) {
            (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon, accuracy_m: r.get(14)? }),
            _ => None,
        },
        work_at: r.get(15)?,
        note: r.get(16)?,
        photo: r.get(17)?,
    })
}

/// `"abc"` → an FTS5 phrase that matches the text anywhere (trigram tokenizer).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl Store {
    /// Records matching `query`, most recently changed first.
    pub fn list(&self, query: &Query) -> Result<Vec<RecordRow>> {
        let mut sql = String::from(
            "SELECT id, kind, status, ward, assignee, title, updated_at, amount_paise, needs_review, conflicts,
                    sync_state, created_by, lat, lon, accuracy_m, work_at, status_note, first_photo
             FROM records WHERE 1 = 1",
        );
        let mut args: Vec<Sql> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, value: Sql| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(kind) = query.kind {
            arg(&mut sql, " AND kind = ?", Sql::Text(kind.as_str().into()));
        }
        if let Some(ward) = &query.ward {
            arg(&mut sql, " AND ward = ?", Sql::Text(ward.clone()));
        }
        if let Some(assignee) = query.assignee {
            arg(&mut sql, " AND assignee = ?", Sql::Text(assignee.to_string()));
        }
        if !query.statuses.is_empty() {
            sql.push_str(" AND status IN (");
            for (i, status) in query.statuses.iter().enumerate() {
                arg(&mut sql, if i == 0 { "?" } else { ", ?" }, Sql::Text(status.as_str().into()));
            }
            sql.push(')');
        }
        if query.needs_attention {
            sql.push_str(" AND (needs_review = 1 OR conflicts > 0)");
        }
        if let Some(text) = query.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if text.chars().count() >= 3 {
                arg(
                    &mut sql,
                    " AND fts_rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)",
                    Sql::Text(fts_phrase(text)),
                );
            } else {
                let like = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
                arg(&mut sql, " AND search_text LIKE ? ESCAPE '\\'", Sql::Text(like));
            }
        }
        sql.push_str(" ORDER BY updated_at DESC, id");
        if let Some(limit) = query.limit {
            arg(&mut sql, " LIMIT ?", Sql::Integer(limit.into()));
        }
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One record's list line.
    pub fn row(&self, id: RecordId) -> Result<RecordRow> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, status, ward, assignee, title, updated_at, amount_paise, needs_review, conflicts,
                    sync_state, created_by, lat, lon, accuracy_m, work_at, status_note, first_photo
             FROM records WHERE id = ?1",
        )?;
        stmt.query_row([id.to_string()], row).optional()?.ok_or(Error::NotFound(id))
    }

    /// Records whose text (names, addresses, receipt numbers) contains `text`.
    pub fn search(&self, text: &str) -> Result<Vec<RecordRow>> {
        self.list(&Query { text: Some(text.to_string()), ..Query::default() })
    }

    /// How many records the store holds.
    pub fn count(&self) -> Result<u64> {
        Ok(self.conn().query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))?)
    }

    /// Conflicted fields, of one record or of all: which record, which field, which values.
    pub fn conflicts(&self, record: Option<RecordId>) -> Result<Vec<StoredConflict>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT record_id, field, winner, \"values\" FROM record_conflicts
             WHERE ?1 IS NULL OR record_id = ?1 ORDER BY record_id, field",
        )?;
        let rows = stmt.query_map([record.map(|r| r.to_string())], |r| {
            let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
                serde_json::from_str(&r.get::<_, String>(i)?).map_err(bad_column)
            };
            let values = match json(3)? {
                serde_json::Value::Array(items) => items,
                other => vec![other],
            };
            Ok(StoredConflict {
                record: parse(r.get(0)?)?,
                conflict: FieldConflict { field: r.get(1)?, winner: json(2)?, values },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// Keeps the search index in step with a record's text: only when the text changed, and by
/// the index's own rowid (kept in `records.fts_rowid`).
pub(super) fn index_text(conn: &Connection, key: &str, text: &str, old: Option<&(String, Option<i64>)>) -> Result<()> {
    if let Some((old_text, Some(rowid))) = old {
        if old_text == text {
            return Ok(());
        }
        exec(conn, "DELETE FROM records_fts WHERE rowid = ?1", [rowid])?;
    }
    exec(conn, "INSERT INTO records_fts (search_text) VALUES (?1)", [text])?;
    exec(conn, "UPDATE records SET fts_rowid = last_insert_rowid() WHERE id = ?1", [key])?;
    Ok(())
}

pub(super) fn write_conflicts(tx: &Connection, key: &str, conflicts: &[FieldConflict]) -> Result<()> {
    exec(tx, "DELETE FROM record_conflicts WHERE record_id = ?1", [key])?;
    for c in conflicts {
        exec(
            tx,
            "INSERT INTO record_conflicts (record_id, field, winner, \"values\") VALUES (?1, ?2, ?3, ?4)",
            (key, &c.field, c.winner.to_string(), serde_json::Value::Array(c.values.clone()).to_string()),
        )?;
    }
    Ok(())
}

pub(super) fn write_reference(tx: &Transaction<'_>, refs: &ReferenceData) -> Result<()> {
    exec(tx, "DELETE FROM reference", [])?;
    let put = |kind: &str, key: String, body: String| {
        exec(tx, "INSERT INTO reference (kind, key, body) VALUES (?1, ?2, ?3)", (kind, key, body))
    };
    if let Some(t) = &refs.tenant {
        put("tenant", t.id.clone(), json(t))?;
    }
    for w in &refs.wards {
        put("ward", w.code.clone(), json(w))?;
    }
    for u in &refs.users {
        put("user", u.id.to_string(), json(u))?;
    }
    for t in &refs.templates {
        put("template", format!("{}@{}", t.code, t.version), json(t))?;
    }
    for h in &refs.fee_heads {
        put("fee_head", h.code.clone(), json(h))?;
    }
    for v in &refs.vehicles {
        put("vehicle", v.registration_number.clone(), json(v))?;
    }
    for f in &refs.fstps {
        put("fstp", f.code.clone(), json(f))?;
    }
    for (kind, keys) in [("crew_key", &refs.crew_keys), ("operator_key", &refs.operator_keys)] {
        for k in keys {
            put(kind, format!("{}:{}", k.key_id, k.public_key), json(k))?;
        }
    }
    Ok(())
}

fn json<T: serde::Serialize>(item: &T) -> String {
    serde_json::to_string(item).expect("reference data always serializes")
}

pub(super) fn read_reference(conn: &Connection) -> Result<ReferenceData> {
    let mut refs = ReferenceData::default();
    let mut stmt = conn.prepare("SELECT kind, key, body FROM reference ORDER BY kind, key")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (kind, key, body): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let damaged =
            |e: serde_json::Error| Error::BadReference { kind: kind.clone(), key: key.clone(), reason: e.to_string() };
        match kind.as_str() {
            "tenant" => refs.tenant = Some(serde_json::from_str(&body).map_err(damaged)?),
            "ward" => refs.wards.push(serde_json::from_str(&body).map_err(damaged)?),
            "user" => refs.users.push(serde_json::from_str(&body).map_err(damaged)?),
            "template" => refs.templates.push(serde_json::from_str(&body).map_err(damaged)?),
            "fee_head" => refs.fee_heads.push(serde_json::from_str(&body).map_err(damaged)?),
            "vehicle" => refs.vehicles.push(serde_json::from_str(&body).map_err(damaged)?),
            "fstp" => refs.fstps.push(serde_json::from_str(&body).map_err(damaged)?),
            "crew_key" => refs.crew_keys.push(serde_json::from_str(&body).map_err(damaged)?),
            "operator_key" => refs.operator_keys.push(serde_json::from_str(&body).map_err(damaged)?),
            _ => {}
        }
    }
    Ok(refs)
}
