//! Reading a QR code from a photo, without I/O: the plant-gate exchange (the crew's handover,
//! the operator's countersignature) goes from one phone's screen to the other's camera. A
//! phone's camera hands the app a JPEG; a desktop picks a PNG or JPEG file.
//!
//! Untrusted bytes never panic: the image is decoded under [`crate::photo::limits`], and
//! anything that is not a JPEG or PNG, or shows no readable code, is refused by cause. rqrr
//! misses a code now and then at one size and reads it at another (a phone's scanner tries
//! frame after frame), so a photo is tried at a few sizes.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, ImageReader, imageops::FilterType};

/// Why no code came out of a photo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Empty, not a JPEG or PNG, or damaged.
    #[error("this file is not a photo the app can read: {0}")]
    NotAnImage(String),
    /// A readable image with no readable QR code in it.
    #[error("no code found in this photo")]
    NoCode,
}

impl ScanError {
    /// A stable code for the screens.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::NotAnImage(_) => "not_an_image",
            ScanError::NoCode => "no_code_found",
        }
    }
}

/// The longest sides a photo is tried at, largest first (an image smaller than one is tried
/// at its own size instead, once).
const SIDES: [u32; 3] = [1600, 1000, 640];

/// The text of the QR code in a photo (the first one read, when it shows several).
pub fn read_qr(bytes: &[u8]) -> Result<String, ScanError> {
    if bytes.is_empty() {
        return Err(ScanError::NotAnImage("the file is empty".into()));
    }
    let format = match image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Jpeg | ImageFormat::Png)) => f,
        _ => return Err(ScanError::NotAnImage("not a JPEG or PNG image".into())),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(crate::photo::limits());
    let grey = reader.decode().map_err(|e| ScanError::NotAnImage(e.to_string()))?.to_luma8();
    let mut tried = Vec::new();
    for side in SIDES {
        let grey = grey_at(&grey, side);
        if tried.contains(&grey.dimensions()) {
            continue;
        }
        tried.push(grey.dimensions());
        if let Some(text) = decode(&grey) {
            return Ok(text);
        }
    }
    Err(ScanError::NoCode)
}

/// The photo in grey, scaled down so its longest side is at most `side`.
fn grey_at(grey: &GrayImage, side: u32) -> GrayImage {
    if grey.width() <= side && grey.height() <= side {
        return grey.clone();
    }
    let scale = f64::from(side) / f64::from(grey.width().max(grey.height()));
    let w = ((f64::from(grey.width()) * scale).round() as u32).max(1);
    let h = ((f64::from(grey.height()) * scale).round() as u32).max(1);
    image::imageops::resize(grey, w, h, FilterType::Triangle)
}

fn decode(grey: &GrayImage) -> Option<String> {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| grey.get_pixel(x as u32, y as u32).0[0]);
    // A damaged grid is a miss, not a failure: the next size may read it.
    prepared.detect_grids().iter().find_map(|g| g.decode().ok()).map(|(_, text)| text)
}

/// Sample codes for tests: a QR code drawn as a PNG, as a screen shows one.
pub mod sample {
    use std::io::Cursor;

    use image::{DynamicImage, GrayImage, ImageFormat};

    /// A QR code of `text` as a PNG, drawn by the qrcode crate the app renders its codes with,
    /// `scale` pixels per module, on a white page of `margin` pixels.
    pub fn qr_png(text: &str, scale: u32, margin: u32) -> Vec<u8> {
        let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
            .expect("a sample code fits a QR code");
        let modules = code.width() as u32;
        let colors = code.to_colors();
        let side = modules * scale + 2 * margin;
        let page = GrayImage::from_fn(side, side, |x, y| {
            let inside = x >= margin && y >= margin && x < margin + modules * scale && y < margin + modules * scale;
            let dark = inside && {
                let (mx, my) = ((x - margin) / scale, (y - margin) / scale);
                colors[(my * modules + mx) as usize] == qrcode::Color::Dark
            };
            image::Luma([if dark { 20 } else { 245 }])
        });
        let mut out = Vec::new();
        DynamicImage::ImageLuma8(page)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("a generated picture encodes");
        out
    }
}

#[cfg(test)]
mod tests {
    use image::DynamicImage;

    use super::sample::qr_png;
    use super::*;

    const CODE: &str = "WBH1|pb.nabha|0193a1c2-0000-7000-8000-000000000001|PB11AB1234|2500|1767238200000|1a2b3c4d|\
                        c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlcw";

    #[test]
    fn a_code_drawn_as_a_png_reads_back_to_the_same_text() {
        for scale in [3, 6, 12] {
            assert_eq!(read_qr(&qr_png(CODE, scale, 4 * scale)).as_deref(), Ok(CODE), "{scale} px per module");
        }
    }

    #[test]
    fn a_photo_as_a_jpeg_on_a_bigger_grey_page_reads_too() {
        let png = image::load_from_memory(&qr_png(CODE, 8, 40)).unwrap().to_luma8();
        let mut page = GrayImage::from_pixel(2400, 1800, image::Luma([180]));
        image::imageops::overlay(&mut page, &png, 700, 500);
        let mut jpeg = Vec::new();
        DynamicImage::ImageLuma8(page).write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg).unwrap();
        assert_eq!(read_qr(&jpeg).as_deref(), Ok(CODE));
    }

    #[test]
    fn bad_images_are_refused_by_cause_without_a_panic() {
        assert_eq!(read_qr(b"").unwrap_err().code(), "not_an_image");
        assert_eq!(read_qr(b"WBH1|pb.nabha|not an image").unwrap_err().code(), "not_an_image");
        let png = qr_png(CODE, 4, 16);
        assert_eq!(read_qr(&png[..png.len() / 2]).unwrap_err().code(), "not_an_image");
        assert_eq!(read_qr(&crate::photo::sample::png(300, 200)).unwrap_err(), ScanError::NoCode);
        assert_eq!(ScanError::NoCode.to_string(), "no code found in this photo");
    }
}
