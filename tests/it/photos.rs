//! Photos on the device: kept by the SHA-256 of their upload copy with the EXIF place and time,
//! a thumbnail for lists, refused when they are not images, and counted as "waiting" per
//! record until the server confirms them. The EXIF fixtures are generated here.

use sha2::{Digest, Sha256};
use wardbook::domain::{Body, PhotoRef};
use wardbook::ids::RecordId;
use wardbook::photo::sample::{self, SampleExif};
use wardbook::photo::{THUMBNAIL_SIDE, UPLOAD_MAX_SIDE};

use crate::{Device, T0};

/// A phone photo taken at the Nabha FSTP gate at 09:00 IST on 1 January 2026.
fn camera_photo(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let exif = SampleExif {
        lat_lon: Some((30.3601, 76.1602)),
        date_time_original: Some("2026:01:01 09:00:00".into()),
        ..SampleExif::default()
    };
    sample::jpeg(width, height, seed, Some(&exif))
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn count(device: &Device, table: &str) -> i64 {
    device.sql().query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn a_camera_photo_is_kept_downscaled_under_the_hash_of_what_is_uploaded_with_its_exif_place_and_time() {
    let mut device = Device::new();
    let original = camera_photo(3000, 2000, 1);
    let photo = device.store.add_photo(&original, T0).unwrap();
    assert_eq!(photo.taken_at, Some(T0), "09:00 IST from DateTimeOriginal");
    let at = photo.location.clone().unwrap();
    assert!((at.lat - 30.3601).abs() < 1e-6 && (at.lon - 76.1602).abs() < 1e-6, "{at:?}");

    let upload = device.store.photo_bytes(&photo.sha256).unwrap();
    assert_eq!(hex_sha256(&upload), photo.sha256, "the name is the hash of the bytes that are uploaded");
    assert_ne!(hex_sha256(&original), photo.sha256);
    let decoded = image::load_from_memory(&upload).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (UPLOAD_MAX_SIDE, 1067));
    assert!(upload.len() < original.len());
    let thumb = image::load_from_memory(&device.store.photo_thumbnail(&photo.sha256).unwrap()).unwrap();
    assert_eq!(thumb.width().max(thumb.height()), THUMBNAIL_SIDE);

    // The same file again is the same photo; the store still holds one.
    assert_eq!(device.store.add_photo(&original, T0 + 1).unwrap(), photo);
    assert_eq!(count(&device, "photos"), 1);
    device.reopen();
    assert_eq!(device.store.photo_bytes(&photo.sha256).unwrap(), upload);
}

#[test]
fn a_photo_without_exif_has_no_place_or_time_and_a_small_one_is_not_enlarged() {
    let mut device = Device::new();
    let photo = device.store.add_photo(&sample::jpeg(800, 600, 2, None), T0).unwrap();
    assert_eq!((photo.taken_at, photo.location), (None, None));
    let decoded = image::load_from_memory(&device.store.photo_bytes(&photo.sha256).unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (800, 600));
    let png = device.store.add_photo(&sample::png(100, 40), T0).unwrap();
    assert!(device.store.photo_thumbnail(&png.sha256).is_ok());
}

#[test]
fn bytes_that_are_not_a_photo_are_refused_and_nothing_is_stored() {
    let mut device = Device::new();
    for bad in [&b""[..], b"%PDF-1.7 not a photo", &camera_photo(64, 64, 3)[..30]] {
        let err = device.store.add_photo(bad, T0).unwrap_err();
        assert!(matches!(err, wardbook::Error::Photo(_)), "{err}");
        assert!(err.to_string().starts_with("not a usable photo"), "{err}");
    }
    assert_eq!(count(&device, "photos"), 0);
    let unknown = "0".repeat(64);
    assert!(matches!(device.store.photo_thumbnail(&unknown), Err(wardbook::Error::PhotoNotFound(_))));
}

fn with_photos(mut record: wardbook::domain::Record, photos: &[&PhotoRef]) -> wardbook::domain::Record {
    if let Body::Inspection(i) = &mut record.body {
        i.photos = photos.iter().map(|p| (*p).clone()).collect();
    }
    record
}

#[test]
fn photo_waiting_is_counted_per_record_until_the_server_confirms_each_photo() {
    let mut device = Device::new();
    let a = device.store.add_photo(&camera_photo(400, 300, 4), T0).unwrap();
    let b = device.store.add_photo(&camera_photo(400, 300, 5), T0).unwrap();
    let loose = device.store.add_photo(&camera_photo(400, 300, 6), T0).unwrap();
    let two = with_photos(wardbook::demo::inspection(RecordId::new(), T0, "W01", 1), &[&a, &b]);
    let none = wardbook::demo::inspection(RecordId::new(), T0, "W01", 2);
    for r in [&two, &none] {
        device.store.create(r, T0).unwrap();
    }
    assert_eq!(device.store.photos_waiting(Some(two.id)).unwrap(), 2);
    assert_eq!(device.store.photos_waiting(Some(none.id)).unwrap(), 0);
    assert_eq!(device.store.photos_waiting(None).unwrap(), 2, "a photo no record names is not a record's badge");
    // Uploads take the photos records name first.
    let order = device.store.photos_to_upload().unwrap();
    assert_eq!(order.last(), Some(&loose.sha256));

    device.store.mark_photo_uploaded(&a.sha256, T0 + 10).unwrap();
    assert_eq!(device.store.photos_waiting(Some(two.id)).unwrap(), 1);
    // An edit that drops a photo drops it from the badge, in the same transaction.
    device
        .store
        .update(two.id, T0 + 20, |r| {
            *r = with_photos(r.clone(), &[&a]);
            Ok(())
        })
        .unwrap();
    assert_eq!(device.store.photos_waiting(Some(two.id)).unwrap(), 0);
    device.reopen();
    assert_eq!(device.store.photos_waiting(None).unwrap(), 0);
    assert!(!device.store.photos_to_upload().unwrap().contains(&a.sha256));
}
