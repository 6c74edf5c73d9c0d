//! Reading SIP addresses: name-addr and addr-spec header values (From, To, Contact, Route),
//! their parameters, and the user part of a SIP URI. Lenient, allocation-light, never panics.

/// Splits a header value at `;` outside double quotes (the first part is the value proper).
pub fn split_params(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter()
}

/// Where a name-addr's `<` and `>` are (a `<` inside a quoted display name does not count).
pub fn angle_brackets(value: &str) -> Option<(usize, usize)> {
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => {
                let close = value[i..].find('>')? + i;
                return Some((i, close));
            }
            _ => {}
        }
    }
    None
}

/// The URI of a name-addr or addr-spec header value (From, To, Contact): the part inside
/// `<…>`, or up to the first `;` without brackets.
pub fn address_uri(value: &str) -> &str {
    match angle_brackets(value) {
        Some((open, close)) => value[open + 1..close].trim(),
        None => value.split(';').next().unwrap_or_default().trim(),
    }
}

/// The header parameters of a name-addr or addr-spec value, starting with `;` (or empty).
pub fn address_params(value: &str) -> &str {
    match angle_brackets(value) {
        Some((_, close)) => &value[close + 1..],
        None => value.find(';').map_or("", |at| &value[at..]),
    }
}

/// The user part of a `sip:`/`sips:` URI, if it has one.
pub fn uri_user(uri: &str) -> Option<String> {
    let lower = uri
        .get(..5)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let rest = if lower.starts_with("sips:") {
        &uri[5..]
    } else if lower.starts_with("sip:") {
        &uri[4..]
    } else {
        return None;
    };
    let (user, _) = rest.split_once('@')?;
    let user = user.split(':').next().unwrap_or_default();
    (!user.is_empty()).then(|| user.to_owned())
}
