//! The forms a user fills: each use case reads the draft as typed, builds the record and
//! refuses it with every problem at once (`check_draft`), or saves it.

use super::*;

impl Field {
    /// Saves an inspection; `submit` also sends it for review (required answers checked first).
    /// Every problem of the draft comes back at once: the subject, the answers as typed, their
    /// ranges and, on submit, the required answers.
    pub fn save_inspection(&mut self, draft: InspectionDraft, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Inspector)?;
        let to = draft.submit.then_some(Status::Submitted);
        let chosen = draft.ward.clone();
        let (body, mut typed) = inspection_body(draft)?;
        let (mut record, ward) = self.new_record_in(now, body, chosen.as_deref())?;
        typed.extend(ward);
        check_draft(&record, self.store.reference(), to, typed.into_errors())?;
        if let Some(to) = to {
            self.step_unsaved(&mut record, Role::Inspector, to, now)?;
        }
        self.store.create(&record, now)?;
        self.saved(record.id)
    }

    /// Saves the inspector's changes to their draft or sent-back inspection, the form's answers
    /// replacing the stored ones; `submit` also sends it for review again, as a new step in the
    /// same change (the history before it is kept as it was).
    pub fn edit_inspection(&mut self, id: RecordId, draft: InspectionDraft, now: UnixMillis) -> ApiResult<Saved> {
        let actor = self.actor(Role::Inspector)?;
        self.editable_record(id, RecordKind::Inspection)?;
        let submit = draft.submit;
        let (body, typed) = inspection_body(draft)?;
        self.update_content(id, body, typed.into_errors(), submit.then_some((actor, Status::Submitted)), now)
    }

    /// A record's new content, and a workflow step, in one change: refused whole if either is,
    /// with every problem at once (`typed`: those found reading the form's text).
    fn update_content(
        &mut self,
        id: RecordId,
        body: Body,
        typed: FieldErrors,
        step: Option<(Actor, Status)>,
        now: UnixMillis,
    ) -> ApiResult<Saved> {
        let refs = self.store.reference().clone();
        self.store.update(id, now, |r| {
            r.body = body;
            let ward = r.ward.take();
            crate::geo::place(&refs, r);
            if r.ward.is_none() {
                r.ward = ward;
            }
            check_draft(r, &refs, step.map(|(_, to)| to), typed)?;
            match step {
                // A correction of a refused record that was already submitted stays submitted.
                Some((_, to)) if r.workflow().status == to => Ok(()),
                Some((actor, to)) => workflow::step(r, &refs, TransitionId::new(), actor, to, now, None),
                None => Ok(()),
            }
        })?;
        self.saved(id)
    }

    /// Saves an asset survey and sends it for approval.
    pub fn save_asset(&mut self, draft: AssetDraft, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Surveyor)?;
        // A survey has a place: its ward is the place's (one outside every ward is the server's to
        // refuse, with its reason), never a choice.
        let (mut record, _) = self.new_record_in(now, asset_body(draft)?, None)?;
        check_draft(&record, self.store.reference(), Some(Status::PendingForApproval), FieldErrors::default())?;
        self.step_unsaved(&mut record, Role::Surveyor, Status::PendingForApproval, now)?;
        self.store.create(&record, now)?;
        self.saved(record.id)
    }

    /// The surveyor's corrections to a survey sent back for modification: saved, and sent for
    /// approval again in the same change.
    pub fn edit_asset(&mut self, id: RecordId, draft: AssetDraft, now: UnixMillis) -> ApiResult<Saved> {
        let actor = self.actor(Role::Surveyor)?;
        self.editable_record(id, RecordKind::AssetSurvey)?;
        self.update_content(
            id,
            asset_body(draft)?,
            FieldErrors::default(),
            Some((actor, Status::PendingForApproval)),
            now,
        )
    }

    /// Issues a receipt: numbered, signed and saved on the device in one transaction.
    pub fn collect_fee(&mut self, draft: ReceiptDraft, now: UnixMillis) -> ApiResult<ReceiptIssued> {
        let record = self.receipt_record(draft, now)?;
        let issued = self.store.issue_receipt(record, now)?;
        let Body::Receipt(receipt) = &issued.body else { unreachable!("issue_receipt returns the receipt") };
        let saved = self.saved(issued.id)?;
        Ok(ReceiptIssued {
            id: saved.id,
            badge: saved.badge,
            warnings: saved.warnings,
            receipt_number: receipt.receipt_number.clone(),
            amount_paise: receipt.total().0,
        })
    }

    /// The checks `collect_fee` makes, without issuing anything: for the preview the collector
    /// shows the payer before the receipt is numbered. The amount in paise, or every problem.
    pub fn check_receipt(&self, draft: ReceiptDraft, now: UnixMillis) -> ApiResult<i64> {
        let record = self.receipt_record(draft, now)?;
        match &record.body {
            Body::Receipt(receipt) => Ok(receipt.total().0),
            _ => unreachable!("receipt_record builds a receipt"),
        }
    }

    /// A receipt not yet numbered from what the collector typed; every problem at once.
    fn receipt_record(&self, draft: ReceiptDraft, now: UnixMillis) -> ApiResult<Record> {
        self.actor(Role::Collector)?;
        let (amount, mut typed) = match self.read_amount(&draft.amount) {
            Ok(paise) => (Paise(paise), FieldErrors::default()),
            Err(e) if !e.fields.is_empty() => (Paise(0), FieldErrors(e.fields)),
            Err(e) => return Err(e),
        };
        let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let body = Body::Receipt(Receipt {
            receipt_number: String::new(),
            receipt_date: now,
            business_service: draft.fee_head.clone(),
            bill_id: None,
            lines: vec![AmountLine { tax_head: draft.fee_head, amount }],
            payment_mode: draft.payment_mode,
            instrument_number: text(draft.instrument_number),
            transaction_number: None,
            payer_name: draft.payer_name.trim().to_string(),
            mobile_number: text(draft.mobile_number),
            location: None,
            signature: None,
            key_id: None,
        });
        let (record, ward) = self.new_record_in(now, body, draft.ward.as_deref())?;
        typed.0.extend(ward.0);
        check_draft(&record, self.store.reference(), None, typed).map_err(|e| {
            as_draft(
                e.into(),
                &[("business_service", "fee_head"), ("lines.0.tax_head", "fee_head"), ("lines.0.amount", "amount")],
            )
        })?;
        Ok(record)
    }

    /// An amount as the collector typed it (`1,250`, ` 150 `, `१५०`), in paise, for the receipt
    /// preview; the same reading `collect_fee` makes. Errors name `amount`.
    pub fn read_amount(&self, text: &str) -> ApiResult<i64> {
        if text.trim().is_empty() {
            return Err(ApiError::field("amount", "required", "type the amount received"));
        }
        let amount = Paise::parse_rupees("amount", text)?;
        if amount.0 <= 0 {
            return Err(ApiError::field("amount", "zero", "must be more than zero"));
        }
        Ok(amount.0)
    }

    /// Registers a desludging application taken in the field.
    pub fn create_fsm_job(&mut self, draft: FsmJobDraft, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Supervisor)?;
        let mut typed = Checker::new();
        let (location, place) = PlaceDraft::read(draft.location)?;
        typed.extend(place);
        let mut size = |field: &str, value: Option<&Typed>| match Typed::number(field, value) {
            Ok(v) => Ok(v),
            Err(e) => FieldErrors::of(e).map(|errors| {
                typed.extend(errors);
                None
            }),
        };
        let (length, width, height) = (
            size("pit_length", draft.pit_length.as_ref())?,
            size("pit_width", draft.pit_width.as_ref())?,
            size("pit_height", draft.pit_height.as_ref())?,
        );
        let id = RecordId::new();
        let request = FieldRequest {
            applicant_name: draft.applicant_name,
            mobile_number: draft.mobile_number,
            locality: draft.locality,
            location,
            pit: PitDetail { length, width, height, ..PitDetail::default() },
            post_pay: draft.post_pay,
        };
        let body = Body::FsmJob(FsmJob::from_field_request(self.store.reference(), id, request));
        let (mut record, ward) = self.new_record_in(now, body, None)?;
        typed.extend(ward);
        record.id = id;
        let renames = [("pit.", "pit_"), ("address.location", "location"), ("address.locality", "locality")];
        check_draft(&record, self.store.reference(), None, typed.into_errors())
            .map_err(|e| as_draft(e.into(), &renames))?;
        self.store.create(&record, now).map_err(|e| as_draft(e.into(), &renames))?;
        self.saved(record.id)
    }

    /// One workflow step chosen from [`RecordView::actions`].
    pub fn step(&mut self, id: RecordId, to: &str, note: Option<String>, now: UnixMillis) -> ApiResult<Saved> {
        let to: Status = to.parse()?;
        let record = self.store.get(id)?;
        let from = record.workflow().status;
        let me = self.me()?;
        let role = me
            .roles
            .iter()
            .copied()
            .find(|role| workflow::allows(&record, from, to, *role))
            .ok_or(Error::InvalidTransition { from, to, role: me.roles.first().copied().unwrap_or(Role::Admin) })?;
        let actor = Actor { user: me.id, role };
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        self.store.transition(id, actor, to, now, note)?;
        self.saved(id)
    }

    /// A supervisor settles a record that needs review (competing steps, a flagged trip) to one
    /// of [`RecordView::settle`], saying why.
    pub fn settle(&mut self, id: RecordId, to: &str, note: Option<String>, now: UnixMillis) -> ApiResult<Saved> {
        let actor = self.actor(Role::Supervisor)?;
        let to: Status = to.parse()?;
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note.is_none() {
            return Err(ApiError::field("note", "required", "say what you decided and why"));
        }
        self.store.resolve_review(id, actor, to, now, note)?;
        self.saved(id)
    }

    /// The crew picks up sludge for a job: a new trip, waiting for disposal at the plant.
    pub fn trip_pickup(&mut self, job: RecordId, draft: TripStepDraft, now: UnixMillis) -> ApiResult<Saved> {
        let crew = self.actor(Role::SanitationCrew)?;
        let job_record = self.store.get(job)?;
        let Body::FsmJob(fsm) = &job_record.body else {
            return Err(ApiError::new("not_a_job", format!("{job} is not a desludging job")));
        };
        if !record_forms(&job_record, &[crew.role]).contains(&"trip_pickup") {
            let status = job_record.workflow().status;
            return Err(ApiError::new("not_allowed", format!("the job is {status}, not in progress with a crew")));
        }
        let (litres, mut typed) = read_litres(draft.volume_litres.as_ref())?;
        let (location, place) = PlaceDraft::read(draft.location)?;
        typed.0.extend(place.0);
        let pickup = TripStep { at: now, location, volume_litres: litres, photos: draft.photos, geofence: None };
        let body = Body::Trip(Trip::picked_up(self.store.reference(), fsm, &self.me()?.name, pickup));
        // A trip is in its job's ward.
        let (mut record, _) = self.new_record_in(now, body, None)?;
        record.ward = job_record.ward.clone();
        record.assignee = Some(crew.user);
        check_draft(&record, self.store.reference(), Some(Status::WaitingForDisposal), typed)
            .map_err(|e| as_draft(e.into(), &[("pickup.", "")]))?;
        self.step_unsaved(&mut record, Role::SanitationCrew, Status::WaitingForDisposal, now)?;
        self.store.create(&record, now).map_err(|e| as_draft(e.into(), &[("pickup.", "")]))?;
        self.saved(record.id)
    }

    /// The plant's operator records the disposal; its place is checked against the plants'
    /// geofences on the device, and a disposal outside them is kept and flagged.
    pub fn trip_disposal(&mut self, trip: RecordId, draft: TripStepDraft, now: UnixMillis) -> ApiResult<Saved> {
        let operator = self.actor(Role::FstpOperator)?;
        let (litres, mut typed) = read_litres(draft.volume_litres.as_ref())?;
        let (location, place) = PlaceDraft::read(draft.location)?;
        let typed_wrong = !place.0.is_empty();
        typed.0.extend(place.0);
        let step = TripStep { at: now, location, volume_litres: litres, photos: draft.photos, geofence: None };
        let mut after = self.store.get(trip)?;
        if let Body::Trip(t) = &mut after.body {
            let mut c = Checker::new();
            if !typed_wrong {
                crate::domain::fsm::check_disposal(&mut c, &step);
            }
            typed.0.extend(c.into_errors().0);
            t.disposal = Some(step.clone());
        }
        check_draft(&after, self.store.reference(), None, typed)
            .map_err(|e| as_draft(e.into(), &[("disposal.", "")]))?;
        self.store.record_disposal(trip, step, now).map_err(|e| as_draft(e.into(), &[("disposal.", "")]))?;
        self.store.transition(trip, operator, Status::Disposed, now, None)?;
        self.saved(trip)
    }

    /// Keeps a photo on the device by its SHA-256; its upload copy waits for the photo channel.
    pub fn add_photo(&mut self, bytes: &[u8], now: UnixMillis) -> ApiResult<crate::domain::PhotoRef> {
        Ok(self.store.add_photo(bytes, now)?)
    }

    /// Keeps a photo already read ([`crate::photo::take`], the slow part, done without the
    /// session): what [`Field::add_photo`] does after reading it.
    pub fn keep_photo(
        &mut self,
        photo: crate::photo::TakenPhoto,
        now: UnixMillis,
    ) -> ApiResult<crate::domain::PhotoRef> {
        Ok(self.store.keep_photo(photo, now)?)
    }
}

/// Litres as typed: the value read (none when nothing was typed: the trip step's own rule says
/// they are required), or the problem with it (to report with the form's others).
fn read_litres(value: Option<&Typed>) -> ApiResult<(Option<f64>, FieldErrors)> {
    match Typed::litres("volume_litres", value) {
        Ok(litres) => Ok((litres, FieldErrors::default())),
        Err(e) => Ok((None, FieldErrors::of(e)?)),
    }
}

/// An inspection as its form describes it.
fn inspection_body(draft: InspectionDraft) -> ApiResult<(Body, Checker)> {
    let mut typed = Checker::new();
    let (location, place) = PlaceDraft::read(draft.location)?;
    typed.extend(place);
    let mut answers = draft.answers;
    for (id, value) in &draft.numbers {
        let field = format!("answers.{id}");
        match Typed::number(&field, Some(value)) {
            Ok(Some(n)) => {
                answers.insert(id.clone(), Answer::Number(n));
            }
            Ok(None) => {
                answers.remove(id);
            }
            Err(e) => typed.extend(FieldErrors::of(e)?),
        }
    }
    let body = Body::Inspection(Inspection {
        template_code: draft.template_code,
        template_version: draft.template_version,
        subject: draft.subject,
        address: Address { location: location.clone(), ..Address::default() },
        location,
        answers,
        findings: vec![],
        photos: draft.photos,
    });
    Ok((body, typed))
}

/// An asset survey as its form describes it; its type, condition and place are required, and
/// every one missing (or a place typed wrong, by box) is refused at once.
fn asset_body(draft: AssetDraft) -> ApiResult<Body> {
    let (location, place) = PlaceDraft::read(draft.location)?;
    let (Some(asset_type), Some(condition), Some(location), true) =
        (draft.asset_type, draft.condition, location.clone(), place.0.is_empty())
    else {
        let mut c = Checker::new();
        AssetSurvey::check_fields(&mut c, draft.asset_type, &draft.asset_name, draft.condition, location.as_ref());
        let mut errors = c.into_errors();
        if !place.0.is_empty() {
            // What was typed is wrong, not missing: say which box.
            errors.0.retain(|e| e.field != "location");
            errors.0.extend(place.0);
        }
        return Err(Error::Invalid(errors).into());
    };
    Ok(Body::AssetSurvey(AssetSurvey {
        asset_type,
        asset_name: draft.asset_name,
        attributes: BTreeMap::new(),
        location: location.clone(),
        condition,
        address: Address { location: Some(location), ..Address::default() },
        photos: draft.photos,
    }))
}
