use super::*;
use crate::sip::digest::{self, Algorithm, Credentials, DigestAuth, Verdict};
use chrono::{TimeZone, Utc};

/// RFC 2617 §3.5's request: `GET /dir/index.html` by Mufasa.
const RFC2617_CHALLENGE: &str = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
    nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

fn mufasa<'a>(password: &'a str) -> Request<'a> {
    Request {
        method: "GET",
        uri: "/dir/index.html",
        username: "Mufasa",
        password,
    }
}

fn ok<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn rfc_2617_section_3_5() {
    let challenge = ok(Challenge::parse(RFC2617_CHALLENGE));
    assert_eq!(challenge.realm, "testrealm@host.com");
    assert_eq!(challenge.algorithm, ClientAlgorithm::Md5);
    assert!(challenge.qop_auth && !challenge.stale);
    let mut auth = ClientAuth::new(challenge);
    let value = auth.authorize(&mufasa("Circle Of Life"), "0a4f113b");
    assert!(
        value.contains("response=\"6629fae49393a05397450978507c4ef1\""),
        "{value}"
    );
    assert!(value.contains("nc=00000001") && value.contains("qop=auth,"));
    assert!(value.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    assert_eq!(auth.count(), 1);
}

/// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
#[test]
fn rfc_7616_section_3_9_1() {
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let request = mufasa("Circle of Life");
    for (algorithm, expected) in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let value = format!(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", \
             algorithm={algorithm}, nonce=\"{nonce}\", opaque=\"{opaque}\""
        );
        let challenge = ok(Challenge::parse(&value));
        assert_eq!(challenge.algorithm.as_str(), algorithm);
        assert_eq!(response(&challenge, &request, cnonce, 1), expected);
    }
}

/// `-sess` (no RFC vector: the expected values were computed separately with Python's
/// hashlib from RFC 2617 §3.2.2.2's definition).
#[test]
fn session_variants_hash_the_nonces_into_ha1() {
    let challenge = ok(Challenge::parse(
        &RFC2617_CHALLENGE.replace("Digest ", "Digest algorithm=MD5-sess, "),
    ));
    assert_eq!(challenge.algorithm, ClientAlgorithm::Md5Sess);
    let got = response(&challenge, &mufasa("Circle Of Life"), "0a4f113b", 1);
    assert_eq!(got, "8e3825c57e897f5a0dec6c2d4e5059d0");

    let sha = "Digest realm=\"http-auth@example.org\", qop=auth, algorithm=SHA-256-sess, \
               nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\"";
    let challenge = ok(Challenge::parse(sha));
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let got = response(&challenge, &mufasa("Circle of Life"), cnonce, 1);
    assert_eq!(
        got,
        "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7"
    );
}

/// Without `qop` (RFC 2069's form): no cnonce or nc is sent (expected value computed
/// separately with Python's hashlib).
#[test]
fn without_qop_the_rfc_2069_form_is_used() {
    let value = "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"";
    let mut auth = ClientAuth::new(ok(Challenge::parse(value)));
    let header = auth.authorize(&mufasa("Circle Of Life"), "ignored");
    assert!(
        header.contains("response=\"670fd8c2df070c60b045671b8b24ff02\""),
        "{header}"
    );
    assert!(
        !header.contains("cnonce") && !header.contains("nc="),
        "{header}"
    );
    assert!(!header.contains("opaque"), "{header}");
}

#[test]
fn the_nonce_count_counts_requests_per_challenge() {
    let mut auth = ClientAuth::new(ok(Challenge::parse(RFC2617_CHALLENGE)));
    let request = mufasa("Circle Of Life");
    let first = auth.authorize(&request, "a");
    let second = auth.authorize(&request, "b");
    assert!(first.contains("nc=00000001"), "{first}");
    assert!(second.contains("nc=00000002"), "{second}");
    assert_eq!(auth.count(), 2);
    // A new challenge starts a new count.
    let again = ClientAuth::new(auth.challenge().clone());
    assert_eq!(again.count(), 0);
}

#[test]
fn challenges_are_read_leniently_and_refused_by_name() {
    let c = ok(Challenge::parse(
        "digest  REALM = prov , nonce=abc,stale=TRUE, domain=\"sip:a, sip:b\", algorithm=md5",
    ));
    assert_eq!((c.realm.as_str(), c.nonce.as_str()), ("prov", "abc"));
    assert!(c.stale && !c.qop_auth);
    let quoted = ok(Challenge::parse(r#"Digest realm="a \"b\"", nonce="n""#));
    assert_eq!(quoted.realm, "a \"b\"");

    let err = |v: &str| Challenge::parse(v).err();
    assert_eq!(err("Basic realm=\"x\""), Some(ChallengeError::NotDigest));
    assert_eq!(
        err("Digest realm=\"x\""),
        Some(ChallengeError::Missing("nonce"))
    );
    assert_eq!(
        err("Digest nonce=\"x\""),
        Some(ChallengeError::Missing("realm"))
    );
    assert!(matches!(
        err("Digest realm=x, nonce=y, algorithm=SHA-512-256"),
        Some(ChallengeError::Algorithm(_))
    ));
    assert!(matches!(
        err("Digest realm=x, nonce=y, qop=\"auth-int\""),
        Some(ChallengeError::Qop(_))
    ));
    assert_eq!(
        err("Digest realm=x, nonce=y, algorithm=MD5-sess"),
        Some(ChallengeError::SessionWithoutQop)
    );
    assert!(matches!(
        err("Digest realm=\"x, nonce=y"),
        Some(ChallengeError::Malformed(_))
    ));
    assert!(matches!(
        err("Digest realm x"),
        Some(ChallengeError::Malformed(_))
    ));
    let long = format!(
        "Digest realm=\"{}\", nonce=n",
        "x".repeat(MAX_CHALLENGE_LEN)
    );
    assert!(matches!(err(&long), Some(ChallengeError::TooLong(_))));
}

#[test]
fn the_first_supported_challenge_is_picked() {
    let offered = [
        "Digest realm=x, nonce=1, algorithm=SHA-512-256, qop=auth",
        "Digest realm=x, nonce=2, algorithm=SHA-256, qop=auth",
        "Digest realm=x, nonce=3, algorithm=MD5, qop=auth",
    ];
    let c = ok(pick(offered));
    assert_eq!(
        (c.nonce.as_str(), c.algorithm),
        ("2", ClientAlgorithm::Sha256)
    );
    let none = pick(["Digest realm=x, nonce=1, algorithm=AKAv1-MD5"]);
    assert!(matches!(none, Err(ChallengeError::Algorithm(_))));
    assert!(pick([]).is_err());
}

/// Centrala's own registrar side accepts what the client side writes, for both algorithms,
/// with odd characters in the user name and realm escaped.
#[test]
fn our_server_side_accepts_our_answers() {
    let now = ok(Utc
        .with_ymd_and_hms(2025, 3, 1, 12, 0, 0)
        .single()
        .ok_or("time"));
    let server = DigestAuth::new("pro\"vider", [7; 32]);
    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let challenge = ok(Challenge::parse(&server.challenge(now, algorithm, false)));
        let request = Request {
            method: "REGISTER",
            uri: "sip:provider.example",
            username: "acct\\1",
            password: "s3cret",
        };
        let mut auth = ClientAuth::new(challenge);
        let value = auth.authorize(&request, "c0ffee");
        let creds = ok(Credentials::parse(&value));
        assert_eq!(creds.username, "acct\\1");
        assert_eq!(
            server.verify(now, "REGISTER", &creds, "s3cret"),
            Verdict::Ok,
            "{value}"
        );
        assert_eq!(
            server.verify(now, "REGISTER", &creds, "wrong"),
            Verdict::WrongPassword
        );
        assert_eq!(
            digest::expected_response(&creds, "REGISTER", "s3cret"),
            creds.response
        );
    }
}
