//! Who may open the control socket and who the audit log names.
//!
//! The socket is owner-only unless the daemon is given a group of console users
//! (`--control-group`): then it is 0660 and owned by that group, so each administrator can log
//! in with an account of their own. Whoever connects, the audit log names the login the
//! kernel reports for the connecting process (`SO_PEERCRED`), never only what the client says
//! about itself: a console's `hello` user that differs is kept beside it, as
//! `login (as hello-user)`.
//!
//! Names come from `/etc/passwd` and `/etc/group` (the gateway has no NSS plugins), read as
//! text by the small parsers below.

use std::path::Path;

/// Where user names are looked up.
pub const PASSWD: &str = "/etc/passwd";

/// Where group names are looked up.
pub const GROUP: &str = "/etc/group";

/// The id of group `name` in a `group(5)` file's text; a number is taken as the id itself.
pub fn group_id(group_file: &str, name: &str) -> Option<u32> {
    if let Ok(gid) = name.parse() {
        return Some(gid);
    }
    group_file.lines().find_map(|line| {
        let mut fields = line.split(':');
        let found = fields.next()? == name;
        let gid = fields.nth(1)?.trim().parse().ok()?;
        found.then_some(gid)
    })
}

/// The login name of user `uid` in a `passwd(5)` file's text.
pub fn user_name(passwd_file: &str, uid: u32) -> Option<String> {
    passwd_file.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.trim().parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// The login of `uid` on this system, or `uid N` when it has none.
pub fn login_of(uid: u32) -> String {
    let passwd = std::fs::read_to_string(Path::new(PASSWD)).unwrap_or_default();
    user_name(&passwd, uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The name the audit log gives a change: the connecting login, with the name the client
/// gave in `hello` when that is different (a shared account used by several people).
pub fn audit_name(login: Option<&str>, said: &str) -> String {
    match (login, said) {
        (None, "") => "unknown".to_owned(),
        (None, said) => said.to_owned(),
        (Some(login), "") => login.to_owned(),
        (Some(login), said) if said == login => login.to_owned(),
        (Some(login), said) => format!("{login} (as {said})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: &str = "root:x:0:\nadm:x:4:syslog\ncentrala-admin:x:998:ala,ola\nbroken\n";
    const USERS: &str = "root:x:0:0:root:/root:/bin/bash\n\
        ala:x:1001:1001:Ala:/home/ala:/bin/sh\n\
        nonsense line\n\
        ola:x:notanumber:1:/:/bin/sh\n";

    #[test]
    fn a_group_is_found_by_name_or_taken_as_a_number() {
        assert_eq!(group_id(GROUPS, "centrala-admin"), Some(998));
        assert_eq!(group_id(GROUPS, "adm"), Some(4));
        assert_eq!(group_id(GROUPS, "1234"), Some(1234));
        assert_eq!(group_id(GROUPS, "wheel"), None);
        assert_eq!(group_id(GROUPS, "broken"), None);
        assert_eq!(group_id("", "adm"), None);
    }

    #[test]
    fn a_user_is_found_by_uid_and_bad_lines_are_skipped() {
        assert_eq!(user_name(USERS, 1001).as_deref(), Some("ala"));
        assert_eq!(user_name(USERS, 0).as_deref(), Some("root"));
        assert_eq!(user_name(USERS, 1), None);
        assert_eq!(user_name(USERS, 4242), None);
    }

    #[test]
    fn the_audit_names_the_login_and_keeps_a_different_hello_name_beside_it() {
        assert_eq!(audit_name(Some("ala"), "ala"), "ala");
        assert_eq!(audit_name(Some("ala"), ""), "ala");
        assert_eq!(audit_name(Some("centrala"), "ola"), "centrala (as ola)");
        assert_eq!(audit_name(None, "ola"), "ola");
        assert_eq!(audit_name(None, ""), "unknown");
    }
}
