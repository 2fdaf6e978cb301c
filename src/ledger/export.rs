//! Receipts for the office: as payments in the shape of DIGIT's collection service (JSON, to
//! key into or import to UPYOG/DIGIT) and as CSV for the accounts office, one row per receipt.
//!
//! DIGIT writes money as rupees. Amounts here start from paise and are written from their exact
//! decimal text (`1234.50`): in CSV as that text, in JSON as the number it denotes (JSON
//! prints `1234.5`; every amount up to 2^53 paise reads back to the same paise). The receipt
//! number goes into both `receiptNumber` and `manualReceiptNumber`: DIGIT's field for
//! receipts issued outside it.

use serde_json::{Value, json};

use super::fy::ist_date;
use super::{LedgerError, checked_total, receipt_of};
use crate::domain::{Paise, Receipt, Record, Status};

/// One receipt to export, with the status the payment has in DIGIT's vocabulary.
#[derive(Clone, Copy, Debug)]
pub struct Payment<'a> {
    record: &'a Record,
    receipt: &'a Receipt,
    status: Status,
}

impl<'a> Payment<'a> {
    /// A receipt record and whether an approved reversal cancels it (the caller knows its
    /// reversals). A cancelled receipt is `CANCELLED`; otherwise its status is the one its
    /// workflow derives (`NEW`, `DEPOSITED`, `RECONCILED`, `DISHONOURED`).
    pub fn new(record: &'a Record, reversed: bool) -> Result<Payment<'a>, LedgerError> {
        let status = if reversed { Status::Cancelled } else { record.workflow().status };
        Payment::with_status(record, status)
    }

    /// A receipt record with a status the caller decided.
    pub fn with_status(record: &'a Record, status: Status) -> Result<Payment<'a>, LedgerError> {
        Ok(Payment { record, receipt: receipt_of(record)?, status })
    }

    pub fn record(&self) -> &'a Record {
        self.record
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn receipt(&self) -> &'a Receipt {
        self.receipt
    }
}

/// One payment as DIGIT's collection service writes it.
///
/// `paidBy` and `payerName` are both the payer's name (a receipt records one name);
/// `totalDue` equals `totalAmountPaid` (a field receipt is paid in full); the bill has one
/// bill detail whose account details are the receipt's lines by tax head. `additionalDetails`
/// carries Wardbook's record id and ward, to trace an imported payment back.
pub fn payment_json(payment: &Payment) -> Result<Value, LedgerError> {
    let r = payment.receipt;
    let total = rupees_json(checked_total(r)?, &r.receipt_number)?;
    let mut json = payment_body(payment, r.payment_mode.as_str(), total)?;
    json["paymentStatus"] = json!(payment.status.as_str());
    let detail = &mut json["paymentDetails"][0];
    detail["receiptNumber"] = json!(r.receipt_number);
    detail["receiptDate"] = json!(r.receipt_date);
    Ok(json)
}

/// What a payment says in DIGIT's names in both of Wardbook's shapes (the search answer here,
/// the create request in [`super::digit`]): the payment written with `mode` and `total` as each
/// shape writes them, the lines in exact rupees. The receipt number is the manual receipt
/// number (a receipt issued outside DIGIT); an absent value is `null`.
pub(crate) fn payment_body(payment: &Payment, mode: &str, total: Value) -> Result<Value, LedgerError> {
    let (record, r) = (payment.record, payment.receipt);
    let accounts = r
        .lines
        .iter()
        .map(|line| Ok(json!({ "taxHeadCode": line.tax_head, "amount": rupees_json(line.amount, &r.receipt_number)? })))
        .collect::<Result<Vec<Value>, LedgerError>>()?;
    Ok(json!({
        "tenantId": record.tenant,
        "paymentMode": mode,
        "instrumentNumber": r.instrument_number,
        "transactionNumber": r.transaction_number,
        "paidBy": r.payer_name,
        "payerName": r.payer_name,
        "mobileNumber": r.mobile_number,
        "totalDue": total,
        "totalAmountPaid": total,
        "paymentDetails": [{
            "businessService": r.business_service,
            "billId": r.bill_id,
            "manualReceiptNumber": r.receipt_number,
            "manualReceiptDate": r.receipt_date,
            "totalDue": total,
            "totalAmountPaid": total,
            "bill": {
                "id": r.bill_id,
                "businessService": r.business_service,
                "totalAmount": total,
                "billDetails": [{ "amount": total, "billAccountDetails": accounts }],
            },
        }],
        "additionalDetails": {
            "wardbookRecordId": record.id.to_string(),
            "ward": record.ward,
        },
    }))
}

/// Payments as DIGIT's search answers them: `{"Payments": [...]}`, in the order given.
pub fn payments_json(payments: &[Payment]) -> Result<Value, LedgerError> {
    let list = payments.iter().map(payment_json).collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "Payments": list }))
}

/// The CSV header row (without its line end).
pub const CSV_HEADER: &str = "Date,Receipt number,Head,Mode,Instrument,Payer,Mobile,Amount (Rs),Status";

/// The accounts office's CSV: the header, then one row per receipt in the order given, lines
/// ending CRLF (RFC 4180). Date is the IST date `yyyy-mm-dd`; Head the business service;
/// Instrument the cheque/DD number or else the transaction number; Amount the total in rupees
/// (`1234.50`). Fields with a comma, quote or line break are quoted, quotes doubled. A text
/// field that a spreadsheet would read as a formula (starting `=`, `+`, `-`, `@`, tab or CR)
/// gets a leading `'`.
///
/// The text is UTF-8 (Hindi names as they are). Excel guesses the encoding of a CSV file
/// without a byte-order mark wrongly; whoever writes the file for Excel starts it with U+FEFF.
pub fn payments_csv(payments: &[Payment]) -> Result<String, LedgerError> {
    let mut out = String::new();
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for payment in payments {
        let r = payment.receipt;
        let instrument = r.instrument_number.as_deref().or(r.transaction_number.as_deref()).unwrap_or("");
        let row = [
            ist_date(r.receipt_date).to_string(),
            text_cell(&r.receipt_number),
            text_cell(&r.business_service),
            r.payment_mode.as_str().to_string(),
            text_cell(instrument),
            text_cell(&r.payer_name),
            text_cell(r.mobile_number.as_deref().unwrap_or("")),
            checked_total(r)?.rupees_text(),
            payment.status.as_str().to_string(),
        ];
        let row: Vec<String> = row.iter().map(|f| quoted(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

/// Rupees as a JSON number from the exact decimal text of the paise.
pub(crate) fn rupees_json(amount: Paise, receipt_number: &str) -> Result<Value, LedgerError> {
    const EXACT: i64 = 1 << 53;
    let out_of_range = || LedgerError::AmountOutOfRange { receipt_number: receipt_number.to_string() };
    if !(-EXACT..=EXACT).contains(&amount.0) {
        return Err(out_of_range());
    }
    let rupees: f64 = amount.rupees_text().parse().map_err(|_| out_of_range())?;
    serde_json::Number::from_f64(rupees).map(Value::Number).ok_or_else(out_of_range)
}

/// A spreadsheet must not run a payer's name as a formula.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() }
}

/// RFC 4180 quoting.
fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::demo;
    use crate::domain::receipt::{AmountLine, PaymentMode};
    use crate::domain::{Body, Role, Transition};
    use crate::ids::{RecordId, TransitionId};

    /// 2026-05-14 10:30 IST.
    const NOW: i64 = 1_778_734_800_000;
    /// 2027-03-31T19:00Z: already 1 April 2027 in IST.
    const LATE_EVENING_UTC: i64 = 1_806_519_600_000;

    fn receipt_mut(record: &mut Record) -> &mut Receipt {
        match &mut record.body {
            Body::Receipt(r) => r,
            _ => unreachable!("demo::receipt makes receipts"),
        }
    }

    /// Demo receipt 4 (Baldev Singh, Rs. 154.00 cash), demo receipt 3 (सुरेश कुमार,
    /// Rs. 153.00 cash) and a property-tax cheque from a payer with a comma and quotes.
    fn records() -> Vec<Record> {
        let baldev = demo::receipt(RecordId(Uuid::from_u128(4)), NOW, "W02", 4);
        let suresh = demo::receipt(RecordId(Uuid::from_u128(3)), NOW + 60_000, "W02", 3);
        let mut sharma = demo::receipt(RecordId(Uuid::from_u128(9)), LATE_EVENING_UTC, "W01", 9);
        let r = receipt_mut(&mut sharma);
        r.business_service = "PT".into();
        r.bill_id = Some("PT-BILL-77".into());
        r.lines = vec![
            AmountLine { tax_head: "PT_TAX".into(), amount: Paise(120_000) },
            AmountLine { tax_head: "PT_INTEREST".into(), amount: Paise(3_450) },
        ];
        r.payment_mode = PaymentMode::Cheque;
        r.instrument_number = Some("004512".into());
        r.payer_name = "Sharma, Ramesh \"Bittu\"".into();
        r.mobile_number = None;
        vec![baldev, suresh, sharma]
    }

    #[test]
    fn the_accounts_csv_has_one_quoted_row_per_receipt() {
        let records = records();
        let payments = [
            Payment::new(&records[0], false).unwrap(),
            Payment::new(&records[1], false).unwrap(),
            Payment::new(&records[2], true).unwrap(),
        ];
        assert_eq!(
            payments_csv(&payments).unwrap(),
            "Date,Receipt number,Head,Mode,Instrument,Payer,Mobile,Amount (Rs),Status\r\n\
             2026-05-14,NBH/2026-27/D1/000004,WS,CASH,,Baldev Singh,9800000004,154.00,NEW\r\n\
             2026-05-14,NBH/2026-27/D1/000003,WS,CASH,,सुरेश कुमार,9800000003,153.00,NEW\r\n\
             2027-04-01,NBH/2026-27/D1/000009,PT,CHEQUE,004512,\"Sharma, Ramesh \"\"Bittu\"\"\",,1234.50,CANCELLED\r\n"
        );
    }

    #[test]
    fn the_csv_reads_back_field_for_field_with_a_standard_parser() {
        let records = records();
        let payments: Vec<Payment> = records.iter().map(|r| Payment::new(r, false).unwrap()).collect();
        let text = payments_csv(&payments).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), 9);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[1][5], "सुरेश कुमार");
        assert_eq!(&rows[2][5], "Sharma, Ramesh \"Bittu\"");
        assert_eq!(&rows[2][7], "1234.50");
    }

    #[test]
    fn line_breaks_and_formulas_in_csv_fields_stay_inert() {
        let mut record = records().remove(0);
        receipt_mut(&mut record).payer_name = "=HYPERLINK(\"x\")\nline two".into();
        receipt_mut(&mut record).payment_mode = PaymentMode::Upi;
        receipt_mut(&mut record).transaction_number = Some("-412345".into());
        let text = payments_csv(&[Payment::new(&record, false).unwrap()]).unwrap();
        let row = text.split_once("\r\n").unwrap().1;
        assert_eq!(
            row,
            "2026-05-14,NBH/2026-27/D1/000004,WS,UPI,'-412345,\
             \"'=HYPERLINK(\"\"x\"\")\nline two\",9800000004,154.00,NEW\r\n"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][5], "'=HYPERLINK(\"x\")\nline two");
    }

    #[test]
    fn a_payment_in_digit_shape_carries_digit_field_names_and_values() {
        let records = records();
        let json = payment_json(&Payment::new(&records[2], true).unwrap()).unwrap();
        assert_eq!(json["tenantId"], "pb.nabha");
        assert_eq!(json["paymentMode"], "CHEQUE");
        assert_eq!(json["instrumentNumber"], "004512");
        assert_eq!(json["transactionNumber"], Value::Null);
        assert_eq!(json["paidBy"], "Sharma, Ramesh \"Bittu\"");
        assert_eq!(json["payerName"], "Sharma, Ramesh \"Bittu\"");
        assert_eq!(json["mobileNumber"], Value::Null);
        assert_eq!(json["totalDue"], json!(1234.5));
        assert_eq!(json["totalAmountPaid"], json!(1234.5));
        assert_eq!(json["paymentStatus"], "CANCELLED");
        let detail = &json["paymentDetails"][0];
        assert_eq!(json["paymentDetails"].as_array().unwrap().len(), 1);
        assert_eq!(detail["businessService"], "PT");
        assert_eq!(detail["receiptNumber"], "NBH/2026-27/D1/000009");
        assert_eq!(detail["manualReceiptNumber"], "NBH/2026-27/D1/000009");
        assert_eq!(detail["receiptDate"], LATE_EVENING_UTC);
        assert_eq!(detail["billId"], "PT-BILL-77");
        let bill_detail = &detail["bill"]["billDetails"][0];
        assert_eq!(bill_detail["amount"], json!(1234.5));
        assert_eq!(
            bill_detail["billAccountDetails"],
            json!([{ "taxHeadCode": "PT_TAX", "amount": 1200.0 }, { "taxHeadCode": "PT_INTEREST", "amount": 34.5 }])
        );
        assert_eq!(json["additionalDetails"]["wardbookRecordId"], "00000000-0000-0000-0000-000000000009");
        assert_eq!(json["additionalDetails"]["ward"], "W01");
    }

    #[test]
    fn a_hindi_payer_and_amounts_serialise_exactly() {
        let records = records();
        let json = payments_json(&[Payment::new(&records[1], false).unwrap()]).unwrap();
        let payment = &json["Payments"][0];
        assert_eq!(payment["payerName"], "सुरेश कुमार");
        assert_eq!(payment["mobileNumber"], "9800000003");
        assert_eq!(payment["paymentStatus"], "NEW");
        let text = serde_json::to_string(&json).unwrap();
        assert!(text.contains(r#""payerName":"सुरेश कुमार""#), "{text}");
        assert!(text.contains(r#""totalAmountPaid":153.0"#), "{text}");
    }

    #[test]
    fn every_paise_amount_reads_back_from_its_json_rupees() {
        let amounts = (0..=100_000).chain([123_450, 99_999_999_999, (1 << 53) - 1, 1 << 53, -250]);
        for paise in amounts {
            let value = rupees_json(Paise(paise), "N").unwrap();
            let text = serde_json::to_string(&value).unwrap();
            let back: f64 = text.parse().unwrap();
            assert_eq!((back * 100.0).round() as i64, paise, "{paise} paise wrote {text}");
            let whole = format!("{}", paise.unsigned_abs() / 100);
            assert!(text.trim_start_matches('-').starts_with(&whole), "{paise} paise wrote {text}");
        }
        assert_eq!(serde_json::to_string(&rupees_json(Paise(123_450), "N").unwrap()).unwrap(), "1234.5");
        assert_eq!(serde_json::to_string(&rupees_json(Paise(15_005), "N").unwrap()).unwrap(), "150.05");
        assert_eq!(
            rupees_json(Paise((1 << 53) + 1), "N/1"),
            Err(LedgerError::AmountOutOfRange { receipt_number: "N/1".into() })
        );
    }

    #[test]
    fn the_status_follows_the_receipt_workflow_unless_reversed() {
        let mut record = records().remove(0);
        assert_eq!(Payment::new(&record, false).unwrap().status(), Status::New);
        assert_eq!(Payment::new(&record, true).unwrap().status(), Status::Cancelled);
        record.transitions.push(Transition {
            id: TransitionId(Uuid::from_u128(1)),
            at: NOW + 1,
            by: demo::user_id(Role::Collector),
            role: Role::Collector,
            from: Status::New,
            to: Status::Deposited,
            note: None,
            resolves_review: false,
            signature: None,
        });
        assert_eq!(Payment::new(&record, false).unwrap().status(), Status::Deposited);
        assert_eq!(payment_json(&Payment::new(&record, false).unwrap()).unwrap()["paymentStatus"], "DEPOSITED");
    }

    #[test]
    fn only_receipts_can_be_exported() {
        let inspection = demo::inspection(RecordId(Uuid::from_u128(5)), NOW, "W01", 1);
        assert!(matches!(Payment::new(&inspection, false), Err(LedgerError::NotAReceipt { .. })));
    }

    #[test]
    fn an_empty_export_is_the_header_and_an_empty_list() {
        assert_eq!(payments_csv(&[]).unwrap(), format!("{CSV_HEADER}\r\n"));
        assert_eq!(payments_json(&[]).unwrap(), json!({ "Payments": [] }));
    }
}
