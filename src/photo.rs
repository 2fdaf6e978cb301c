//! Photos taken in the field, without I/O: what the camera wrote in the EXIF block (where and
//! when), and the two copies the device keeps — a JPEG whose longest side is at most
//! [`UPLOAD_MAX_SIDE`] pixels (the copy that is uploaded and named in records by its SHA-256)
//! and a thumbnail of at most [`THUMBNAIL_SIDE`] pixels for lists.
//!
//! The camera's own file is not kept: the upload copy is what the town keeps as evidence. It is
//! re-encoded, so it carries no EXIF block; the place and time the EXIF block gave travel in the
//! record's [`PhotoRef`](crate::domain::PhotoRef) instead. The copy is turned upright by the
//! EXIF orientation first, so every later viewer shows it the right way up.
//!
//! Time: EXIF `DateTimeOriginal` is the camera's wall clock without a zone. The zone is taken
//! from `OffsetTimeOriginal` when the camera wrote one, and is IST (+05:30) otherwise: the
//! phones Wardbook runs on are set to Indian time.
//!
//! Untrusted bytes never panic: images are decoded under [`limits`] (no image larger than
//! [`MAX_PIXELS_SIDE`] on a side, bounded memory), and a damaged EXIF block is ignored.

use std::io::Cursor;

use exif::{In, Tag, Value};
use image::{DynamicImage, ImageFormat, ImageReader, Limits, metadata::Orientation};

use crate::domain::{GeoPoint, UnixMillis};

/// The longest side of the upload copy, in pixels (a smaller photo is not enlarged).
pub const UPLOAD_MAX_SIDE: u32 = 1600;
/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 256;
/// JPEG quality of the upload copy.
pub const UPLOAD_QUALITY: u8 = 82;
/// JPEG quality of a thumbnail.
pub const THUMBNAIL_QUALITY: u8 = 75;
/// A side longer than this is refused before decoding (a phone camera makes at most ~9000).
pub const MAX_PIXELS_SIDE: u32 = 16_384;
/// Minutes east of UTC assumed for an EXIF time with no offset: IST.
pub const DEFAULT_OFFSET_MINUTES: i32 = 330;

/// Why bytes could not be taken as a photo.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the photo is empty")]
    Empty,
    #[error("not a JPEG or PNG image")]
    UnsupportedFormat,
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("the image could not be encoded: {0}")]
    Encode(String),
}

/// What a photo's EXIF block says, when it says it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhotoExif {
    /// `DateTimeOriginal` (with `OffsetTimeOriginal`, else IST) as Unix milliseconds.
    pub taken_at: Option<UnixMillis>,
    /// `GPSLatitude`/`GPSLongitude` with their N/S and E/W refs; `accuracy_m` from
    /// `GPSHPositioningError` when present.
    pub location: Option<GeoPoint>,
    /// EXIF orientation 1–8 (1 = upright), when present.
    pub orientation: Option<u8>,
}

/// A photo made ready for the device store: its EXIF facts and the two copies.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedPhoto {
    pub exif: PhotoExif,
    /// The upload copy (JPEG, longest side ≤ [`UPLOAD_MAX_SIDE`], upright).
    pub upload: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The thumbnail (JPEG, longest side ≤ [`THUMBNAIL_SIDE`]).
    pub thumbnail: Vec<u8>,
}

/// Decoder limits for untrusted photos.
pub fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PIXELS_SIDE);
    limits.max_image_height = Some(MAX_PIXELS_SIDE);
    limits.max_alloc = Some(768 * 1024 * 1024);
    limits
}

/// Reads the EXIF block of a JPEG or PNG. A photo without one, or with one that cannot be
/// read, gives an empty [`PhotoExif`]; values that make no sense (a latitude of 200°, a zero
/// denominator, 31 February) are left out rather than guessed.
pub fn read_exif(bytes: &[u8]) -> PhotoExif {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return PhotoExif::default();
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    let ascii = |tag| match field(tag) {
        Some(Value::Ascii(parts)) => parts.first().map(|p| String::from_utf8_lossy(p).trim().to_string()),
        _ => None,
    };
    let offset = ascii(Tag::OffsetTimeOriginal).and_then(|o| parse_offset(&o)).unwrap_or(DEFAULT_OFFSET_MINUTES);
    let taken_at = ascii(Tag::DateTimeOriginal).and_then(|t| parse_exif_time(&t, offset));
    let coordinate = |value_tag, ref_tag, negative: u8, max: f64| {
        let Some(Value::Rational(dms)) = field(value_tag) else { return None };
        let part = |i: usize| dms.get(i).filter(|r| r.denom != 0).map(|r| f64::from(r.num) / f64::from(r.denom));
        let degrees = part(0)? + part(1).unwrap_or(0.0) / 60.0 + part(2).unwrap_or(0.0) / 3600.0;
        let sign = match ascii(ref_tag).and_then(|r| r.bytes().next()) {
            Some(r) if r.eq_ignore_ascii_case(&negative) => -1.0,
            _ => 1.0,
        };
        (degrees.is_finite() && degrees <= max).then_some(sign * degrees)
    };
    let lat = coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0);
    let lon = coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0);
    let accuracy_m = match field(Tag::GPSHPositioningError) {
        Some(Value::Rational(r)) => r.first().filter(|r| r.denom != 0).map(|r| f64::from(r.num) / f64::from(r.denom)),
        _ => None,
    };
    let location = lat.zip(lon).map(|(lat, lon)| GeoPoint { lat, lon, accuracy_m });
    let orientation = match field(Tag::Orientation) {
        Some(v) => v.get_uint(0).and_then(|o| u8::try_from(o).ok()).filter(|o| (1..=8).contains(o)),
        None => None,
    };
    PhotoExif { taken_at, location, orientation }
}

/// `+05:30` / `-03:00` as minutes east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let sign = match b[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours: i32 = text.get(1..3)?.parse().ok()?;
    let minutes: i32 = text.get(4..6)?.parse().ok()?;
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

/// `YYYY:MM:DD HH:MM:SS` at `offset` minutes east of UTC, as Unix milliseconds.
fn parse_exif_time(text: &str, offset_minutes: i32) -> Option<UnixMillis> {
    let t = exif::DateTime::from_ascii(text.as_bytes()).ok()?;
    let (month, day) = (u32::from(t.month), u32::from(t.day));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(t.year), month) {
        return None;
    }
    if t.hour > 23 || t.minute > 59 || t.second > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(t.year), month, day);
    let seconds = days * 86_400 + i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second)
        - i64::from(offset_minutes) * 60;
    Some(seconds * 1000)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The SHA-256 of `bytes` in lowercase hex: a blob's name.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A photo file read: the SHA-256 of the camera's bytes (to find it if added again) and what
/// [`prepare`] made of it. Pure work, no store: the slow part of adding a photo.
#[derive(Clone, Debug)]
pub struct TakenPhoto {
    pub original: String,
    pub prepared: PreparedPhoto,
}

/// Reads a photo file ([`prepare`]) and names the file by its SHA-256.
pub fn take(bytes: &[u8]) -> Result<TakenPhoto, PhotoError> {
    Ok(TakenPhoto { original: sha256_hex(bytes), prepared: prepare(bytes)? })
}

/// Reads a JPEG or PNG photo: its EXIF facts, an upright upload copy whose longest side is at
/// most [`UPLOAD_MAX_SIDE`] (never enlarged) and a thumbnail. Anything else is refused.
pub fn prepare(bytes: &[u8]) -> Result<PreparedPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(PhotoError::UnsupportedFormat),
    };
    let (exif, image) = decode(bytes, format)?;
    let upload_image = fit(&image, UPLOAD_MAX_SIDE);
    let thumbnail = jpeg(&fit(&upload_image, THUMBNAIL_SIDE), THUMBNAIL_QUALITY)?;
    let (width, height) = (upload_image.width(), upload_image.height());
    Ok(PreparedPhoto { exif, upload: jpeg(&upload_image, UPLOAD_QUALITY)?, width, height, thumbnail })
}

/// The thumbnail alone (JPEG, longest side ≤ [`THUMBNAIL_SIDE`]) of a JPEG or PNG photo: what
/// the server makes of a stored photo for a device that did not take it.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(PhotoError::UnsupportedFormat),
    };
    let (_, image) = decode(bytes, format)?;
    jpeg(&fit(&image, THUMBNAIL_SIDE), THUMBNAIL_QUALITY)
}

/// Decodes a photo within [`limits`], turned upright by its EXIF orientation.
fn decode(bytes: &[u8], format: ImageFormat) -> Result<(PhotoExif, DynamicImage), PhotoError> {
    let exif = read_exif(bytes);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut image = reader.decode().map_err(|e| PhotoError::Undecodable(e.to_string()))?;
    if let Some(o) = exif.orientation.and_then(Orientation::from_exif) {
        image.apply_orientation(o);
    }
    Ok((exif, image))
}

/// The image scaled so its longest side is at most `side`, keeping its proportions; an image
/// already that small is returned as it is.
fn fit(image: &DynamicImage, side: u32) -> DynamicImage {
    if image.width() <= side && image.height() <= side {
        image.clone()
    } else {
        image.resize(side, side, image::imageops::FilterType::Triangle)
    }
}

/// JPEG bytes of an image (8-bit RGB; transparency dropped).
fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image.to_rgb8().write_with_encoder(encoder).map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

/// Sample photos for the demo, tests and benchmarks: a generated picture, optionally with an
/// EXIF block written the way a phone camera writes one.
pub mod sample {
    use exif::experimental::Writer;
    use exif::{Field, In, Rational, Tag, Value};

    /// What to write into a sample photo's EXIF block.
    #[derive(Clone, Debug, Default)]
    pub struct SampleExif {
        /// Degrees; negative is south / west (written as refs `S` / `W`).
        pub lat_lon: Option<(f64, f64)>,
        /// `YYYY:MM:DD HH:MM:SS`.
        pub date_time_original: Option<String>,
        /// `+05:30` and the like.
        pub offset_time_original: Option<String>,
        pub orientation: Option<u16>,
    }

    /// A `width` × `height` JPEG of a smooth gradient (so it compresses like a photo, not like a
    /// flat colour), with `exif` spliced in as an APP1 segment right after the start marker.
    pub fn jpeg(width: u32, height: u32, seed: u8, exif: Option<&SampleExif>) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            let v = |a: u32, b: u32| ((a * 255 / width.max(1) + b * 97 / height.max(1)) as u8).wrapping_add(seed);
            image::Rgb([v(x, y), v(y, x), v(x + y, seed.into())])
        });
        let mut out = Vec::new();
        picture
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90))
            .expect("a generated picture encodes");
        match exif {
            Some(e) => splice_app1(&out, &tiff(e)),
            None => out,
        }
    }

    /// `width` × `height` PNG of the same gradient (PNG carries no EXIF here).
    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 128, 255]));
        let mut out = Vec::new();
        picture.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out)).expect("a generated picture encodes");
        out
    }

    fn dms(degrees: f64) -> Vec<Rational> {
        let d = degrees.abs();
        let whole = d.trunc();
        let minutes = ((d - whole) * 60.0).trunc();
        let seconds = ((d - whole) * 60.0 - minutes) * 60.0;
        vec![
            Rational { num: whole as u32, denom: 1 },
            Rational { num: minutes as u32, denom: 1 },
            Rational { num: (seconds * 10_000.0).round() as u32, denom: 10_000 },
        ]
    }

    /// The TIFF structure of an EXIF block (little-endian, as most phones write it).
    fn tiff(e: &SampleExif) -> Vec<u8> {
        let ascii = |tag, text: &str| Field { tag, ifd_num: In::PRIMARY, value: Value::Ascii(vec![text.into()]) };
        let mut fields = Vec::new();
        if let Some((lat, lon)) = e.lat_lon {
            let rational = |tag, d| Field { tag, ifd_num: In::PRIMARY, value: Value::Rational(dms(d)) };
            fields.push(ascii(Tag::GPSLatitudeRef, if lat < 0.0 { "S" } else { "N" }));
            fields.push(rational(Tag::GPSLatitude, lat));
            fields.push(ascii(Tag::GPSLongitudeRef, if lon < 0.0 { "W" } else { "E" }));
            fields.push(rational(Tag::GPSLongitude, lon));
        }
        if let Some(t) = &e.date_time_original {
            fields.push(ascii(Tag::DateTimeOriginal, t));
        }
        if let Some(o) = &e.offset_time_original {
            fields.push(ascii(Tag::OffsetTimeOriginal, o));
        }
        if let Some(o) = e.orientation {
            fields.push(Field { tag: Tag::Orientation, ifd_num: In::PRIMARY, value: Value::Short(vec![o]) });
        }
        fields.push(ascii(Tag::Make, "Wardbook sample"));
        let mut writer = Writer::new();
        for f in &fields {
            writer.push_field(f);
        }
        let mut out = std::io::Cursor::new(Vec::new());
        writer.write(&mut out, true).expect("sample EXIF fields write");
        out.into_inner()
    }

    /// Inserts `FF E1 <len> "Exif\0\0" <tiff>` after the JPEG's `FF D8`.
    pub fn splice_app1(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
        assert_eq!(&jpeg[..2], [0xff, 0xd8], "a JPEG starts with SOI");
        let len = u16::try_from(2 + 6 + tiff.len()).expect("an APP1 segment is under 64 KiB");
        let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
        out.extend_from_slice(&jpeg[..2]);
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(b"Exif\0\0");
        out.extend_from_slice(tiff);
        out.extend_from_slice(&jpeg[2..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::sample::{SampleExif, jpeg, png};
    use super::*;

    /// 2026-01-01 09:00 IST.
    const NINE_IST: UnixMillis = 1_767_238_200_000;

    fn nabha() -> SampleExif {
        SampleExif {
            lat_lon: Some((30.3745, 76.1512)),
            date_time_original: Some("2026:01:01 09:00:00".into()),
            ..SampleExif::default()
        }
    }

    #[test]
    fn gps_and_time_are_read_from_a_generated_exif_block() {
        let bytes = jpeg(64, 48, 1, Some(&nabha()));
        let exif = read_exif(&bytes);
        let p = exif.location.expect("a location");
        assert!((p.lat - 30.3745).abs() < 1e-6 && (p.lon - 76.1512).abs() < 1e-6, "{p:?}");
        assert_eq!(p.accuracy_m, None);
        assert_eq!(exif.taken_at, Some(NINE_IST), "no offset written: IST");
    }

    #[test]
    fn south_and_west_refs_make_negative_coordinates_and_an_offset_is_honoured() {
        let e = SampleExif {
            lat_lon: Some((-33.8568, -70.6483)),
            date_time_original: Some("2026:01:01 03:30:00".into()),
            offset_time_original: Some("+00:00".into()),
            ..SampleExif::default()
        };
        let exif = read_exif(&jpeg(16, 16, 2, Some(&e)));
        let p = exif.location.unwrap();
        assert!((p.lat + 33.8568).abs() < 1e-6 && (p.lon + 70.6483).abs() < 1e-6, "{p:?}");
        assert_eq!(exif.taken_at, Some(NINE_IST), "03:30 UTC is 09:00 IST");
    }

    #[test]
    fn a_photo_without_exif_or_with_nonsense_values_gives_nothing_rather_than_a_guess() {
        assert_eq!(read_exif(&jpeg(16, 16, 3, None)), PhotoExif::default());
        assert_eq!(read_exif(b"not an image"), PhotoExif::default());
        let e = SampleExif {
            lat_lon: Some((95.0, 76.0)),
            date_time_original: Some("2026:02:31 09:00:00".into()),
            ..SampleExif::default()
        };
        let exif = read_exif(&jpeg(16, 16, 4, Some(&e)));
        assert_eq!((exif.location, exif.taken_at), (None, None));
    }

    #[test]
    fn the_thumbnail_alone_is_the_thumbnail_prepare_makes() {
        let bytes = jpeg(640, 480, 4, None);
        let alone = thumbnail(&bytes).unwrap();
        assert_eq!(alone, prepare(&bytes).unwrap().thumbnail);
        let small = image::load_from_memory(&alone).unwrap();
        assert_eq!((small.width(), small.height()), (256, 192));
        assert!(matches!(thumbnail(b"not an image"), Err(PhotoError::UnsupportedFormat)));
    }

    #[test]
    fn exif_times_convert_like_a_calendar() {
        assert_eq!(parse_exif_time("1970:01:01 00:00:00", 0), Some(0));
        assert_eq!(parse_exif_time("2024:02:29 00:00:00", 0), Some(1_709_164_800_000));
        assert_eq!(parse_exif_time("2023:02:29 00:00:00", 0), None);
        assert_eq!(parse_offset("+05:30"), Some(330));
        assert_eq!(parse_offset("-03:00"), Some(-180));
        assert_eq!(parse_offset("0530"), None);
    }

    #[test]
    fn a_big_photo_is_scaled_to_1600_on_its_longest_side_and_a_small_one_is_not_enlarged() {
        let big = prepare(&jpeg(2400, 1800, 5, Some(&nabha()))).unwrap();
        assert_eq!((big.width, big.height), (1600, 1200));
        let decoded = image::load_from_memory(&big.upload).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (1600, 1200));
        let thumb = image::load_from_memory(&big.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (256, 192));
        assert!(big.exif.location.is_some(), "EXIF read from the original");
        assert_eq!(read_exif(&big.upload), PhotoExif::default(), "the re-encoded copy carries no EXIF");

        let small = prepare(&jpeg(640, 480, 6, None)).unwrap();
        assert_eq!((small.width, small.height), (640, 480));
        let tall = prepare(&png(300, 900)).unwrap();
        assert_eq!((tall.width, tall.height), (300, 900));
        let thumb = image::load_from_memory(&tall.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (85, 256));
    }

    #[test]
    fn a_sideways_photo_is_turned_upright() {
        let e = SampleExif { orientation: Some(6), ..SampleExif::default() };
        let turned = prepare(&jpeg(200, 100, 7, Some(&e))).unwrap();
        assert_eq!((turned.width, turned.height), (100, 200));
    }

    #[test]
    fn bytes_that_are_not_a_jpeg_or_png_are_refused_without_a_panic() {
        assert_eq!(prepare(b""), Err(PhotoError::Empty));
        assert_eq!(prepare(b"GIF89a......"), Err(PhotoError::UnsupportedFormat));
        assert_eq!(prepare(b"hello world"), Err(PhotoError::UnsupportedFormat));
        let good = jpeg(64, 64, 8, None);
        // Cut inside its headers (a cut in the scan data decodes as a grey tail, like a camera would).
        assert!(matches!(prepare(&good[..20]), Err(PhotoError::Undecodable(_))));
        let mut png_header = png(8, 8);
        png_header.truncate(40);
        assert!(matches!(prepare(&png_header), Err(PhotoError::Undecodable(_))));
    }
}
