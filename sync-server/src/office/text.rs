//! The office pages' words in English and Hindi: one table, so a message without its Hindi
//! cannot compile. The language comes from `?lang=`, else the `wb_lang` cookie, else the
//! browser's `Accept-Language`; English when none says.

use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::{Paise, RecordKind};

/// The language a page is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Hi,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }

    /// `en` or `hi` (any case, a region allowed: `hi-IN`).
    pub fn parse(text: &str) -> Option<Lang> {
        let primary = text.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "hi" => Some(Lang::Hi),
            _ => None,
        }
    }

    /// The first of English and Hindi in an `Accept-Language` list, by weight then order.
    pub fn from_accept(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else { continue };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The page's language: the query's, else the cookie's, else the browser's, else English.
    pub fn choose(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept.and_then(Lang::from_accept))
            .unwrap_or(Lang::En)
    }
}

macro_rules! messages {
    ($($key:ident => ($en:expr, $hi:expr),)+) => {
        /// Every phrase of the office pages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Msg { $($key),+ }

        impl Msg {
            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$key, Lang::En) => $en, (Msg::$key, Lang::Hi) => $hi,)+
                }
            }
        }
    };
}

messages! {
    Office => ("Wardbook office", "वार्डबुक कार्यालय"),
    Today => ("Today", "आज"),
    SignIn => ("Sign in", "साइन इन करें"),
    SignOut => ("Sign out", "साइन आउट करें"),
    Login => ("Login name", "लॉगिन नाम"),
    Password => ("Password", "पासवर्ड"),
    SignInFirst => ("Sign in to see the office pages.", "कार्यालय के पृष्ठ देखने के लिए साइन इन करें।"),
    BadCredentials => ("The login name or password is wrong.", "लॉगिन नाम या पासवर्ड गलत है।"),
    LockedOut => ("Too many wrong passwords. Try again in", "बहुत बार गलत पासवर्ड। फिर से कोशिश करें"),
    Seconds => ("seconds", "सेकंड में"),
    Receipts => ("Receipts today", "आज की रसीदें"),
    Mode => ("Payment mode", "भुगतान का तरीका"),
    Count => ("Receipts", "रसीदें"),
    Amount => ("Amount", "राशि"),
    Total => ("Total", "कुल"),
    NoReceipts => ("No receipts yet today.", "आज अभी तक कोई रसीद नहीं।"),
    Cash => ("Cash", "नकद"),
    CashExpected => ("Cash expected", "अपेक्षित नकद"),
    CashHandedOver => ("Cash handed over", "सौंपा गया नकद"),
    Handovers => ("handovers", "सुपुर्दगियाँ"),
    ReversalsWaiting => ("Cancellations awaiting approval", "स्वीकृति की प्रतीक्षा में रद्दीकरण"),
    ReviewQueue => ("Review queue", "समीक्षा कतार"),
    OldestItem => ("oldest waiting", "सबसे पुराना प्रतीक्षा में"),
    Empty => ("empty", "खाली"),
    DevicesQuiet24 => ("Devices not synced for 24 h", "24 घंटे से सिंक न हुए उपकरण"),
    DevicesQuiet72 => ("Devices not synced for 72 h", "72 घंटे से सिंक न हुए उपकरण"),
    PhotosMissing => ("Photos not yet on the server", "फ़ोटो जो अभी सर्वर पर नहीं हैं"),
    TripsWaiting => ("Trips waiting for disposal", "निपटान की प्रतीक्षा में ट्रिप"),
    DisposalsFlagged => ("Disposals flagged", "चिह्नित निपटान"),
    Inspections => ("Inspections by status", "स्थिति के अनुसार निरीक्षण"),
    NoInspections => ("No inspections.", "कोई निरीक्षण नहीं।"),
    Status => ("Status", "स्थिति"),
    Records => ("Records", "रिकॉर्ड"),
    Kind => ("Kind", "प्रकार"),
    Ward => ("Ward", "वार्ड"),
    Title => ("Record", "रिकॉर्ड"),
    Updated => ("Last change (IST)", "अंतिम बदलाव (IST)"),
    Flags => ("Flags", "चिह्न"),
    NoRecords => ("Nothing matches.", "कुछ भी मेल नहीं खाता।"),
    Export => ("Download these records", "ये रिकॉर्ड डाउनलोड करें"),
    ExportCsv => ("CSV (Excel)", "CSV (एक्सेल)"),
    ExportXlsx => ("Excel workbook", "एक्सेल वर्कबुक"),
    ExportGeojson => ("GeoJSON (map)", "GeoJSON (नक्शा)"),
    Matching => ("found", "मिले"),
    Shown => ("Showing the first", "पहले दिखाए गए"),
    Number => ("Receipt number", "रसीद संख्या"),
    Payer => ("Payer", "भुगतानकर्ता"),
    Collector => ("Collector", "संग्राहक"),
    Cancelled => ("cancelled", "रद्द"),
    Devices => ("Devices", "उपकरण"),
    Device => ("Device", "उपकरण"),
    User => ("User", "उपयोगकर्ता"),
    LastSync => ("Last sync (IST)", "अंतिम सिंक (IST)"),
    Never => ("never", "कभी नहीं"),
    Back => ("Back to Today", "आज पर वापस"),
    Language => ("हिन्दी", "English"),
    Towns => ("Towns of the state", "राज्य के नगर"),
    ReadOnly => ("read only", "केवल देखने के लिए"),
    Error => ("Something is wrong", "कुछ गलत है"),
    DayOf => ("Day (IST)", "दिन (IST)"),
    Minutes => ("min", "मिनट"),
    Hours => ("h", "घंटे"),
    Days => ("d", "दिन"),
    Review => ("Review", "समीक्षा"),
    NothingToReview => ("Nothing waits for review.", "समीक्षा के लिए कुछ नहीं है।"),
    Filter => ("Filter", "छाँटें"),
    AnyKind => ("any kind", "कोई भी प्रकार"),
    AnyWard => ("any ward", "कोई भी वार्ड"),
    AnyUser => ("anyone", "कोई भी"),
    FromDay => ("From (IST)", "से (IST)"),
    ToDay => ("To (IST)", "तक (IST)"),
    FlagCode => ("Flag code", "चिह्न कोड"),
    Choose => ("Choose", "चुनें"),
    Decision => ("Decision for the chosen records", "चुने गए रिकॉर्ड के लिए निर्णय"),
    NewStatus => ("New status", "नई स्थिति"),
    Note => ("Note (a reason is needed to reject or send back)", "टिप्पणी (अस्वीकार या वापस भेजने के लिए कारण ज़रूरी)"),
    Decide => ("Record the decision", "निर्णय दर्ज करें"),
    Conflict => ("Conflicting values", "परस्पर विरोधी मान"),
    Field => ("Field", "क्षेत्र"),
    KeepValue => ("Keep this value", "यह मान रखें"),
    RecordPage => ("Record", "रिकॉर्ड"),
    Revoked => ("revoked", "रद्द किया गया"),
    Active => ("active", "सक्रिय"),
    Revoke => ("Revoke", "रद्द करें"),
    Fields => ("Fields", "क्षेत्र"),
    Value => ("Value", "मान"),
    Photos => ("Photos", "फ़ोटो"),
    NotOnServer => ("not yet on the server", "अभी सर्वर पर नहीं"),
    History => ("History of steps", "चरणों का इतिहास"),
    Step => ("Step", "चरण"),
    When => ("When (IST)", "कब (IST)"),
    Signed => ("signed", "हस्ताक्षरित"),
    Received => ("Changes received", "प्राप्त परिवर्तन"),
    Rejections => ("Changes the server rejected", "सर्वर द्वारा अस्वीकार किए गए परिवर्तन"),
    RejectedToday => ("Changes rejected today", "आज अस्वीकार किए गए परिवर्तन"),
    NoRejections => ("No rejected changes.", "कोई अस्वीकृत परिवर्तन नहीं।"),
    RejectedAt => ("Rejected (IST)", "अस्वीकृत (IST)"),
    Why => ("Why", "क्यों"),
    FlagHint => ("a flag code, or “rejected” for rejected changes only", "चिह्न कोड, या केवल अस्वीकृत परिवर्तनों के लिए “rejected”"),
}

/// What a rejection code of the server means, in the reader's language (`None` for a code
/// without a phrase: the page shows the server's reason alone).
pub fn rejection_name(code: &str, lang: Lang) -> Option<&'static str> {
    let (en, hi) = match code {
        "malformed_change" => ("Not a readable change", "पढ़ने योग्य परिवर्तन नहीं"),
        "invalid_document" => ("The change does not leave a valid record", "परिवर्तन के बाद रिकॉर्ड मान्य नहीं रहता"),
        "change_too_large" => ("The change is too large", "परिवर्तन बहुत बड़ा है"),
        "record_too_large" => ("The record grew past its size limit", "रिकॉर्ड अपनी आकार सीमा से बड़ा हो गया"),
        "identity_changed" => ("The change alters what the record is", "परिवर्तन रिकॉर्ड की पहचान बदलता है"),
        "history_rewritten" => ("The change rewrites the history of steps", "परिवर्तन चरणों का इतिहास बदलता है"),
        "transition_not_yours" => ("A step in another user's name or role", "किसी दूसरे उपयोगकर्ता या भूमिका के नाम से चरण"),
        "transition_not_allowed" => ("The workflow does not allow this step", "कार्यप्रवाह में यह चरण अनुमत नहीं"),
        "time_in_future" => ("Dated in the future", "भविष्य की तारीख"),
        "unsigned_step" => ("A step without the device's signature", "उपकरण के हस्ताक्षर के बिना चरण"),
        "bad_step_signature" => ("A step's signature does not match the device", "चरण का हस्ताक्षर उपकरण से मेल नहीं खाता"),
        "reason_required" => ("Sent back or rejected without a reason", "बिना कारण वापस भेजा या अस्वीकार किया"),
        "record_final" => ("The record is closed and cannot be edited", "रिकॉर्ड बंद है, बदला नहीं जा सकता"),
        "custody_immutable" => ("The custody record cannot be changed", "अभिरक्षा का रिकॉर्ड बदला नहीं जा सकता"),
        "invalid_record" => ("The record fails its checks", "रिकॉर्ड अपनी जाँच में विफल"),
        "reversal_mismatch" => ("The cancellation does not match its receipt", "रद्दीकरण अपनी रसीद से मेल नहीं खाता"),
        "reversal_unknown_receipt" => {
            ("Cancels a receipt the server does not have", "ऐसी रसीद का रद्दीकरण जो सर्वर पर नहीं है")
        }
        "reversal_exists" => ("The receipt is already cancelled", "रसीद का रद्दीकरण पहले से है"),
        "reversal_not_yours" => ("Cancels another collector's receipt", "दूसरे संग्राहक की रसीद का रद्दीकरण"),
        "handover_expected_mismatch" => (
            "The handover's expected cash is not the day's receipts",
            "सुपुर्दगी का अपेक्षित नकद दिन की रसीदों से मेल नहीं खाता",
        ),
        "handover_not_yours" => ("Hands over another user's cash", "दूसरे उपयोगकर्ता के नकद की सुपुर्दगी"),
        "handover_exists" => ("A second handover for the same day", "उसी दिन की दूसरी सुपुर्दगी"),
        "number_not_yours" => ("A receipt number of another device", "दूसरे उपकरण की रसीद संख्या"),
        "number_not_granted" => ("A receipt number the server never granted", "ऐसी रसीद संख्या जो सर्वर ने नहीं दी"),
        "duplicate_receipt_number" => ("The receipt number is already used", "रसीद संख्या पहले से उपयोग में है"),
        "unsigned_receipt" => ("A receipt without the device's signature", "उपकरण के हस्ताक्षर के बिना रसीद"),
        "receipt_date_out_of_range" => ("The receipt's date is impossible", "रसीद की तारीख असंभव है"),
        "receipt_date_outside_fy" => {
            ("The receipt's date is outside its financial year", "रसीद की तारीख उसके वित्तीय वर्ष से बाहर है")
        }
        "receipt_immutable" => ("An issued receipt cannot be changed", "जारी रसीद बदली नहीं जा सकती"),
        "ward_required" => ("The record has no ward", "रिकॉर्ड का कोई वार्ड नहीं है"),
        "ward_out_of_scope" => ("A ward the user does not work in", "ऐसा वार्ड जिसमें उपयोगकर्ता काम नहीं करता"),
        "actor_not_yours" => ("Written as another device", "दूसरे उपकरण के रूप में लिखा गया"),
        "tenant_mismatch" => ("A record of another town", "दूसरे नगर का रिकॉर्ड"),
        "kind_not_allowed" => (
            "A kind of record the user's role does not work with",
            "ऐसा रिकॉर्ड प्रकार जिस पर उपयोगकर्ता की भूमिका काम नहीं करती",
        ),
        _ => return None,
    };
    Some(if lang == Lang::En { en } else { hi })
}

/// A kind of record, as office staff call it.
pub fn kind_name(kind: RecordKind, lang: Lang) -> &'static str {
    use RecordKind::*;
    match (kind, lang) {
        (Inspection, Lang::En) => "Inspection",
        (Inspection, Lang::Hi) => "निरीक्षण",
        (AssetSurvey, Lang::En) => "Asset survey",
        (AssetSurvey, Lang::Hi) => "परिसंपत्ति सर्वेक्षण",
        (Receipt, Lang::En) => "Receipt",
        (Receipt, Lang::Hi) => "रसीद",
        (Reversal, Lang::En) => "Cancellation",
        (Reversal, Lang::Hi) => "रद्दीकरण",
        (Handover, Lang::En) => "Cash handover",
        (Handover, Lang::Hi) => "नकद सुपुर्दगी",
        (FsmJob, Lang::En) => "Desludging request",
        (FsmJob, Lang::Hi) => "मल-कीचड़ सफ़ाई अनुरोध",
        (Trip, Lang::En) => "Trip",
        (Trip, Lang::Hi) => "ट्रिप",
    }
}

/// A payment mode: DIGIT's code in English, its usual name in Hindi.
pub fn mode_name(mode: PaymentMode, lang: Lang) -> &'static str {
    use PaymentMode::*;
    match (mode, lang) {
        (Cash, Lang::En) => "Cash",
        (Cash, Lang::Hi) => "नकद",
        (Upi, _) => "UPI",
        (Cheque, Lang::En) => "Cheque",
        (Cheque, Lang::Hi) => "चेक",
        (Dd, Lang::En) => "Demand draft",
        (Dd, Lang::Hi) => "डिमांड ड्राफ्ट",
        (Online, Lang::En) => "Online",
        (Online, Lang::Hi) => "ऑनलाइन",
        (OfflineNeft, _) => "NEFT",
        (OfflineRtgs, _) => "RTGS",
        (Card, Lang::En) => "Card",
        (Card, Lang::Hi) => "कार्ड",
        (PostalOrder, Lang::En) => "Postal order",
        (PostalOrder, Lang::Hi) => "पोस्टल ऑर्डर",
    }
}

/// Rupees with Indian digit grouping: `₹1,25,000.50`.
pub fn rupees(amount: Paise) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    let (whole, paise) = (amount.0.unsigned_abs() / 100, amount.0.unsigned_abs() % 100);
    let digits = whole.to_string();
    let grouped = if digits.len() <= 3 {
        digits
    } else {
        let (head, last3) = digits.split_at(digits.len() - 3);
        let mut groups: Vec<&str> = Vec::new();
        let mut rest = head;
        while rest.len() > 2 {
            let (h, t) = rest.split_at(rest.len() - 2);
            groups.push(t);
            rest = h;
        }
        groups.push(rest);
        groups.reverse();
        format!("{},{last3}", groups.join(","))
    };
    format!("{sign}₹{grouped}.{paise:02}")
}

/// How long ago, roughly: `45 min`, `3 h 20 min`, `4 d 2 h`.
pub fn age(ms: i64, lang: Lang) -> String {
    let minutes = ms.max(0) / 60_000;
    let (m, h, d) = (Msg::Minutes.text(lang), Msg::Hours.text(lang), Msg::Days.text(lang));
    match minutes {
        0..60 => format!("{minutes} {m}"),
        60..1440 => format!("{} {h} {} {m}", minutes / 60, minutes % 60),
        _ => format!("{} {d} {} {h}", minutes / 1440, (minutes % 1440) / 60),
    }
}

/// The reader's name for a field of a record's body (its dotted path's last word), or the
/// path itself for a field without one.
pub fn field_label(path: &str, lang: Lang) -> String {
    let key = path.rsplit('.').find(|p| p.parse::<usize>().is_err()).unwrap_or(path);
    let known = match (key, lang) {
        ("subject", Lang::En) => "Subject",
        ("subject", Lang::Hi) => "विषय",
        ("line1" | "street", Lang::En) => "Address",
        ("line1" | "street", Lang::Hi) => "पता",
        ("locality", Lang::En) => "Locality",
        ("locality", Lang::Hi) => "मोहल्ला",
        ("payer_name", Lang::En) => "Payer",
        ("payer_name", Lang::Hi) => "भुगतानकर्ता",
        ("receipt_number", Lang::En) => "Receipt number",
        ("receipt_number", Lang::Hi) => "रसीद संख्या",
        ("payment_mode", Lang::En) => "Payment mode",
        ("payment_mode", Lang::Hi) => "भुगतान का तरीका",
        ("template_code", Lang::En) => "Form",
        ("template_code", Lang::Hi) => "प्रपत्र",
        ("sha256", Lang::En) => "Photo",
        ("sha256", Lang::Hi) => "फ़ोटो",
        ("lat", Lang::En) => "Latitude",
        ("lat", Lang::Hi) => "अक्षांश",
        ("lon", Lang::En) => "Longitude",
        ("lon", Lang::Hi) => "देशांतर",
        _ => return path.to_string(),
    };
    format!("{known} ({path})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_the_indian_way() {
        assert_eq!(rupees(Paise(0)), "₹0.00");
        assert_eq!(rupees(Paise(15_000)), "₹150.00");
        assert_eq!(rupees(Paise(12_500_000)), "₹1,25,000.00");
        assert_eq!(rupees(Paise(123_456_789)), "₹12,34,567.89");
        assert_eq!(rupees(Paise(-100_005)), "-₹1,000.05");
    }

    #[test]
    fn the_language_is_the_query_then_the_cookie_then_the_browser() {
        assert_eq!(Lang::choose(Some("hi"), Some("en"), Some("en")), Lang::Hi);
        assert_eq!(Lang::choose(Some("fr"), Some("hi"), None), Lang::Hi);
        assert_eq!(Lang::choose(None, None, Some("hi-IN,hi;q=0.9,en;q=0.8")), Lang::Hi);
        assert_eq!(Lang::choose(None, None, Some("pa-IN, en-GB;q=0.7, hi;q=0.5")), Lang::En);
        assert_eq!(Lang::choose(None, None, Some("fr")), Lang::En);
    }

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(age(45 * 60_000, Lang::En), "45 min");
        assert_eq!(age(200 * 60_000, Lang::En), "3 h 20 min");
        assert_eq!(age((4 * 1440 + 120) * 60_000, Lang::Hi), "4 दिन 2 घंटे");
    }
}
