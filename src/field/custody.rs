//! The plant gate: the crew's signed handover, the operator's countersignature, both read
//! from the other phone's screen (a QR code) and checked on this phone.

use super::*;

impl Field {
    /// The crew at the plant gate: the signed handover of a trip, to show the operator.
    pub fn handover_code(&mut self, trip: RecordId, now: UnixMillis) -> ApiResult<CodeView> {
        self.actor(Role::SanitationCrew)?;
        code_view(self.store.handover_code(trip, now)?)
    }

    /// A code read from a photo of the other phone's screen (the camera, or a picked image):
    /// the QR code's text, for [`Field::check_handover`] or [`Field::record_countersigned`].
    /// A photo with no readable code is refused on the `custody` field (`no_code_found`,
    /// `not_an_image`), never a crash.
    pub fn read_code(image: &[u8]) -> ApiResult<String> {
        crate::scan::read_qr(image).map_err(|e| ApiError::field("custody", e.code(), &e.to_string()))
    }

    /// The plant's operator reads the crew's code (scanned or typed) and sees what it hands over,
    /// checked on this phone: a code with a character changed, from another town, or signed by
    /// no crew device this phone knows is refused on the spot (`custody` field).
    pub fn check_handover(&mut self, code: &str) -> ApiResult<TripHandoverView> {
        self.actor(Role::FstpOperator)?;
        let read = self.store.check_handover(code)?;
        Ok(TripHandoverView {
            code: code.trim().to_string(),
            trip: read.trip,
            vehicle: read.handover.vehicle,
            litres: read.handover.litres,
            at: read.handover.at,
        })
    }

    /// The plant's operator countersigns the crew's code for the litres received, with no
    /// network and whether or not the trip is on this device; returns the code to show back.
    pub fn countersign(
        &mut self,
        code: &str,
        received_litres: Option<Typed>,
        location: Option<GeoPoint>,
        now: UnixMillis,
    ) -> ApiResult<CodeView> {
        self.actor(Role::FstpOperator)?;
        let litres = Typed::litres("volume_litres", received_litres.as_ref())?
            .ok_or_else(|| ApiError::field("volume_litres", "required", "the litres received are needed"))?;
        let fix = location.ok_or_else(|| ApiError::field("location", "required", "a countersign needs a GPS fix"))?;
        code_view(self.store.countersign_handover(code, litres, &fix, now)?)
    }

    /// The crew reads the operator's code back: the countersignature is checked on this phone
    /// and the disposal it countersigns is recorded; the trip is then `DISPOSED`.
    pub fn record_countersigned(
        &mut self,
        trip: RecordId,
        code: &str,
        location: Option<GeoPoint>,
        now: UnixMillis,
    ) -> ApiResult<Saved> {
        let crew = self.actor(Role::SanitationCrew)?;
        let fix = location.ok_or_else(|| ApiError::field("location", "required", "a disposal needs a GPS fix"))?;
        self.store.record_countersigned(trip, code, fix, vec![], Some(crew), now)?;
        self.saved(trip)
    }
}
