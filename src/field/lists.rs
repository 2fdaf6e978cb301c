//! What a user sees: Home, lists of records, one record with what they may do with it, the
//! supervisor's review list; conflicts settled, photos as thumbnails.

use super::*;

impl Field {
    /// The home screen at `now`. Today's work first: their own records the server refused (a
    /// refused draft stays with the drafts),
    /// then their records sent back to them (with the supervisor's note), then for a supervisor
    /// what waits for her ([`Field::review_list`]'s queue) and for other roles the open records of
    /// their kinds in their wards. Then the user's own records (assigned to them, whatever their
    /// ward, with or without one): drafts, those waiting to be sent, and those the server has
    /// whose last change was today (IST). Each record appears once.
    pub fn home(&self, now: UnixMillis) -> ApiResult<Home> {
        let me = self.me()?;
        let today = crate::ledger::ist_date(now);
        let mine = self.store.list(&Query { assignee: Some(me.id), limit: Some(LIST_LIMIT), ..Query::default() })?;
        let (mut drafts, mut waiting, mut sent_today, mut refused, mut returned) =
            (vec![], vec![], vec![], vec![], vec![]);
        for row in mine {
            let back = workflow::content_open(row.kind, row.status) && workflow::initial(row.kind) != row.status;
            // A cash handover starts as DRAFT until the supervisor acknowledges it; it is made,
            // not a draft.
            let list = if row.status == Status::Draft && row.kind != RecordKind::Handover {
                &mut drafts
            } else if row.sync_state == SyncState::Rejected {
                &mut refused
            } else if back {
                &mut returned
            } else {
                match row.sync_state {
                    SyncState::Rejected => &mut refused,
                    SyncState::Saved | SyncState::Waiting => &mut waiting,
                    SyncState::OnServer if crate::ledger::ist_date(row.updated_at) == today => &mut sent_today,
                    SyncState::OnServer => continue,
                }
            };
            list.push(self.row_view(row)?);
        }
        let mut todo = Vec::new();
        if me.roles.contains(&Role::Supervisor) {
            todo.extend(self.queue()?.into_iter().map(|item| item.row));
        } else {
            let wards: Vec<Option<String>> =
                if me.wards.is_empty() { vec![None] } else { me.wards.iter().cloned().map(Some).collect() };
            for kind in self.my_kinds()? {
                for ward in &wards {
                    let open = Query { ward: ward.clone(), limit: Some(50), ..Query::open(kind) };
                    todo.extend(self.rows(&open)?);
                }
            }
            todo.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        }
        let mut out = refused;
        out.append(&mut returned);
        out.append(&mut todo);
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.id));
        let listed: Vec<RecordId> = drafts.iter().chain(&waiting).chain(&sent_today).map(|r| r.id).collect();
        out.retain(|r| !listed.contains(&r.id));
        Ok(Home { todo: out, drafts, waiting, sent_today })
    }

    /// Records of one kind (or every kind the user works with), newest first.
    pub fn list(&self, kind: Option<RecordKind>) -> ApiResult<Vec<RowView>> {
        let kinds = match kind {
            Some(kind) => vec![kind],
            None => self.my_kinds()?,
        };
        let mut rows = Vec::new();
        for kind in kinds {
            rows.extend(self.rows(&Query { kind: Some(kind), ..Query::default() })?);
        }
        rows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// One record with its conflicts, warnings, history and the steps the user may take.
    pub fn record(&self, id: RecordId) -> ApiResult<RecordView> {
        let record = self.store.get(id)?;
        let row = self.row_view(self.store.row(id)?)?;
        let conflicts = self.conflict_views(Some(id))?;
        let warnings = self.warnings(&record)?;
        let actions = self.actions(&record)?;
        let settle = self.settle_options(&record);
        let history = record
            .transitions
            .iter()
            .map(|t| StepView {
                at: t.at,
                by: self.name_of(t.by),
                role: t.role,
                from: t.from.to_string(),
                to: t.to.to_string(),
                note: t.note.clone(),
                settles: t.resolves_review,
            })
            .collect();
        let editable = self.editable(&record);
        let forms = match self.user {
            Some(id) => record_forms(&record, &self.town_user(id)?.roles).into_iter().map(String::from).collect(),
            None => vec![],
        };
        Ok(RecordView {
            row,
            details: super::detail::lines(&record, self.store.reference()),
            photos: record.photos().into_iter().cloned().collect(),
            draft: editable.then(|| super::detail::form_draft(&record)).flatten(),
            conflicts,
            warnings,
            actions,
            settle,
            history,
            editable,
            forms,
        })
    }

    fn actions(&self, record: &Record) -> ApiResult<Vec<String>> {
        let Some(id) = self.user else { return Ok(vec![]) };
        let roles = self.town_user(id)?.roles.clone();
        let from = record.workflow().status;
        Ok(workflow::statuses(record.kind())
            .into_iter()
            .filter(|to| roles.iter().any(|role| workflow::allows(record, from, *to, *role)))
            .map(|to| to.to_string())
            .collect())
    }

    /// The statuses a signed-in supervisor may settle a record in review to: its status now and
    /// those its competing steps lead to (a flagged trip: its status, kept with her note).
    fn settle_options(&self, record: &Record) -> Vec<String> {
        if self.actor(Role::Supervisor).is_err() || !record.needs_attention() {
            return vec![];
        }
        let state = record.workflow();
        let mut out = vec![state.status];
        for p in &state.problems {
            let to = match p {
                workflow::ReviewProblem::Competing { to, .. } | workflow::ReviewProblem::NotAllowed { to, .. } => *to,
            };
            if !out.contains(&to) && workflow::statuses(record.kind()).contains(&to) {
                out.push(to);
            }
        }
        out.into_iter().map(|s| s.to_string()).collect()
    }

    fn conflict_views(&self, record: Option<RecordId>) -> ApiResult<Vec<ConflictView>> {
        let mut titles: BTreeMap<RecordId, String> = BTreeMap::new();
        self.store
            .conflicts(record)?
            .into_iter()
            .map(|c| {
                let title = match titles.get(&c.record) {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.store.row(c.record)?.title;
                        titles.insert(c.record, t.clone());
                        t
                    }
                };
                Ok(ConflictView {
                    record: c.record,
                    title,
                    field: c.conflict.field,
                    values: c.conflict.values.iter().map(|v| v.to_string()).collect(),
                })
            })
            .collect()
    }

    /// What waits for the signed-in supervisor, as her queue: records that need review first
    /// (competing steps, a flagged trip or handover), then records waiting for her decision
    /// (submitted inspections, surveys pending for approval, requested reversals, handovers),
    /// oldest work first within each; each with the steps she may take from the list.
    fn queue(&self) -> ApiResult<Vec<QueueItem>> {
        self.actor(Role::Supervisor)?;
        let mut rows =
            self.store.list(&Query { needs_attention: true, limit: Some(LIST_LIMIT), ..Query::default() })?;
        for kind in RecordKind::ALL {
            let statuses: Vec<Status> =
                workflow::statuses(*kind).into_iter().filter(|s| workflow::awaits_approval(*kind, *s)).collect();
            if !statuses.is_empty() {
                rows.extend(self.store.list(&Query {
                    kind: Some(*kind),
                    statuses,
                    limit: Some(LIST_LIMIT),
                    ..Query::default()
                })?);
            }
        }
        let mut seen = std::collections::HashSet::new();
        rows.retain(|r| seen.insert(r.id));
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let record = match self.store.get(row.id) {
                Ok(record) => record,
                Err(Error::DamagedRecord { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let attention = row.needs_review || row.conflicts > 0;
            let item = QueueItem {
                actions: self.actions(&record)?,
                settle: self.settle_options(&record),
                row: self.row_view(row)?,
            };
            items.push((!attention, item));
        }
        items.sort_by(|(a, x), (b, y)| a.cmp(b).then(x.row.work_at.cmp(&y.row.work_at)).then(x.row.id.cmp(&y.row.id)));
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }

    /// The supervisor's review screen: her queue ([`ReviewList::waiting`]), records the server
    /// refused or a supervisor rejected, and fields two people edited differently.
    pub fn review_list(&self) -> ApiResult<ReviewList> {
        let waiting = self.queue()?;
        let mut rejected: Vec<RowView> = self
            .store
            .list(&Query { limit: Some(10 * LIST_LIMIT), ..Query::default() })?
            .into_iter()
            .filter(|r| r.sync_state == SyncState::Rejected || r.status == Status::Rejected)
            .take(LIST_LIMIT as usize)
            .map(|r| self.row_view(r))
            .collect::<ApiResult<_>>()?;
        rejected.retain(|r| !waiting.iter().any(|n| n.row.id == r.id));
        Ok(ReviewList { waiting, rejected, conflicts: self.conflict_views(None)? })
    }

    /// A photo's thumbnail as a `data:` URL, when its bytes are on this device (a photo taken
    /// on another device comes from the server: `src-tauri` asks for it, [`thumbnail_url`]).
    pub fn photo_thumbnail(&self, sha256: &str) -> ApiResult<PhotoThumb> {
        match self.store.photo_thumbnail(sha256) {
            Ok(jpeg) => Ok(Some(thumbnail_url(&jpeg))),
            Err(Error::PhotoNotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps one of a conflicted field's values (JSON text, as listed).
    pub fn resolve_conflict(&mut self, id: RecordId, field: &str, value: &str, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Supervisor)?;
        let value: serde_json::Value =
            serde_json::from_str(value).map_err(|e| ApiError::new("bad_value", e.to_string()))?;
        self.store.resolve_conflict(id, field, &value, now)?;
        self.saved(id)
    }

    /// Records with changes the server has not confirmed, and photos not yet uploaded.
    pub fn waiting(&self) -> ApiResult<(u64, u64)> {
        Ok((self.store.waiting_count()?, self.store.photos_waiting(None)?))
    }
}
