//! `Principal` and `NotPrincipal` in bucket policies: does the statement apply to the caller?

use super::arn::Arn;
use super::eval::Request;
use super::policy::{Principal, PrincipalBlock, PrincipalList};
use super::truth::Truth;

/// Who is calling, as far as we know.
struct Caller<'a> {
    arn: Option<&'a str>,
    account: Option<&'a str>,
}

impl<'a> Caller<'a> {
    fn of(request: &Request<'a>) -> Self {
        let account_from_arn = request
            .principal_arn
            .and_then(Arn::parse)
            .map(|arn| arn.account)
            .filter(|account| !account.is_empty());
        Caller {
            arn: request.principal_arn,
            account: request.principal_account.or(account_from_arn),
        }
    }

    fn is_known(&self) -> bool {
        self.arn.is_some() || self.account.is_some()
    }
}

/// Whether a statement's `Principal`/`NotPrincipal` covers the caller.
pub(crate) fn principal_applies(block: &PrincipalBlock, request: &Request) -> Truth {
    let caller = Caller::of(request);
    if block.negated {
        not_principal_applies(&block.principal, &caller)
    } else {
        principal_matches(&block.principal, &caller)
    }
}

fn principal_matches(principal: &Principal, caller: &Caller) -> Truth {
    let list = match principal {
        Principal::Anyone => return Truth::True,
        Principal::Listed(list) => list,
    };
    let aws = list
        .aws
        .iter()
        .map(|entry| aws_entry_matches(entry, caller));
    let others = non_aws_entries(list).map(|(kind, id)| {
        // Our caller is an IAM user or role, never a service or a federated identity.
        if caller.is_known() {
            Truth::False
        } else {
            Truth::unknown(format!("the caller is the {kind} principal {id}"))
        }
    });
    Truth::any(aws.chain(others))
}

fn non_aws_entries(list: &PrincipalList) -> impl Iterator<Item = (&'static str, &String)> {
    let tag = |kind: &'static str| move |id| (kind, id);
    list.service
        .iter()
        .map(tag("Service"))
        .chain(list.federated.iter().map(tag("Federated")))
        .chain(list.canonical_user.iter().map(tag("CanonicalUser")))
}

/// One entry of `"AWS": [...]`: `*`, an account id, an account root ARN, or an identity ARN.
fn aws_entry_matches(entry: &str, caller: &Caller) -> Truth {
    if entry == "*" {
        return Truth::True;
    }
    if let Some(account) = account_of_entry(entry) {
        return match caller.account {
            Some(known) => Truth::from_bool(known == account),
            None => Truth::unknown(format!("the caller is in account {account}")),
        };
    }
    match (caller.arn, caller.account) {
        (Some(arn), _) => Truth::from_bool(is_same_identity(entry, arn)),
        (None, Some(account)) if Arn::parse(entry).map(|arn| arn.account) != Some(account) => {
            Truth::False
        }
        _ => Truth::unknown(format!("the caller is {entry}")),
    }
}

/// The account an entry stands for as a whole: `111122223333` or `arn:aws:iam::111122223333:root`.
fn account_of_entry(entry: &str) -> Option<&str> {
    if entry.len() == 12 && entry.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(entry);
    }
    let arn = Arn::parse(entry)?;
    (arn.service == "iam" && arn.resource == "root").then_some(arn.account)
}

/// Whether a policy's identity ARN names the caller. A role ARN also names every session of
/// that role, which is what STS reports for a caller who assumed it.
fn is_same_identity(entry: &str, caller_arn: &str) -> bool {
    if entry == caller_arn {
        return true;
    }
    let (Some(entry), Some(caller)) = (Arn::parse(entry), Arn::parse(caller_arn)) else {
        return false;
    };
    match (entry.role_name(), caller.assumed_role_name()) {
        (Some(role), Some(session_role)) => role == session_role && entry.account == caller.account,
        _ => false,
    }
}

/// `NotPrincipal`: the statement applies to everyone the list does not exempt. AWS checks a
/// request as the caller, as the caller's account and, for a role session, as the role too, so
/// the caller is exempt only when every one of those is listed.
fn not_principal_applies(principal: &Principal, caller: &Caller) -> Truth {
    let list = match principal {
        Principal::Anyone => return Truth::False,
        Principal::Listed(list) => list,
    };
    if list.aws.iter().any(|entry| entry == "*") {
        return Truth::False;
    }
    let account_listed = caller.account.map(|account| {
        list.aws
            .iter()
            .any(|entry| account_of_entry(entry) == Some(account))
    });
    match (caller.arn, account_listed) {
        (_, Some(false)) => Truth::True,
        (Some(arn), Some(true)) => Truth::from_bool(!identity_exempted(&list.aws, arn)),
        _ => Truth::unknown(format!(
            "the caller is not exempted by NotPrincipal {}",
            list.aws.join(", ")
        )),
    }
}

fn identity_exempted(listed: &[String], caller_arn: &str) -> bool {
    let caller_listed = listed.iter().any(|entry| entry == caller_arn);
    let role_listed = match Arn::parse(caller_arn).and_then(|arn| arn.assumed_role_name()) {
        Some(_) => listed
            .iter()
            .any(|entry| entry != caller_arn && is_same_identity(entry, caller_arn)),
        None => true,
    };
    caller_listed && role_listed
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = "arn:aws:iam::111122223333:user/exporter";
    const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/Exporter/i-0abc";
    const ROLE: &str = "arn:aws:iam::111122223333:role/service/Exporter";
    const ROOT: &str = "arn:aws:iam::111122223333:root";

    fn block(negated: bool, aws: &[&str]) -> PrincipalBlock {
        PrincipalBlock {
            negated,
            principal: Principal::Listed(PrincipalList {
                aws: aws.iter().map(|entry| entry.to_string()).collect(),
                ..PrincipalList::default()
            }),
        }
    }

    fn applies(negated: bool, aws: &[&str], caller: Option<&str>, account: Option<&str>) -> Truth {
        let request = Request {
            principal_arn: caller,
            principal_account: account,
            ..Request::new("s3:PutObject", "arn:aws:s3:::b/k")
        };
        principal_applies(&block(negated, aws), &request)
    }

    #[test]
    fn principal_entries_match_the_caller() {
        assert_eq!(applies(false, &["*"], Some(USER), None), Truth::True);
        assert_eq!(
            applies(false, &["111122223333"], Some(USER), None),
            Truth::True
        );
        assert_eq!(applies(false, &[ROOT], Some(USER), None), Truth::True);
        assert_eq!(applies(false, &[USER], Some(USER), None), Truth::True);
        assert_eq!(
            applies(false, &["444455556666"], Some(USER), None),
            Truth::False
        );
        assert_eq!(applies(false, &[ROLE], Some(SESSION), None), Truth::True);
        assert_eq!(applies(false, &[ROLE], Some(USER), None), Truth::False);
    }

    #[test]
    fn an_unknown_caller_leaves_identity_entries_open() {
        assert_eq!(applies(false, &["*"], None, None), Truth::True);
        assert_eq!(
            applies(false, &[USER], None, None),
            Truth::unknown(format!("the caller is {USER}"))
        );
        assert_eq!(
            applies(false, &[USER], None, Some("444455556666")),
            Truth::False
        );
        assert_eq!(
            applies(false, &["111122223333"], None, None),
            Truth::unknown("the caller is in account 111122223333")
        );
    }

    #[test]
    fn not_principal_exempts_only_fully_listed_callers() {
        assert_eq!(applies(true, &[USER, ROOT], Some(USER), None), Truth::False);
        assert_eq!(applies(true, &[USER], Some(USER), None), Truth::True);
        assert_eq!(
            applies(
                true,
                &["arn:aws:iam::111122223333:user/other", ROOT],
                Some(USER),
                None
            ),
            Truth::True
        );
        assert_eq!(
            applies(true, &[SESSION, ROLE, ROOT], Some(SESSION), None),
            Truth::False
        );
        assert_eq!(
            applies(true, &[SESSION, ROOT], Some(SESSION), None),
            Truth::True
        );
        assert!(matches!(
            applies(true, &[USER, ROOT], None, None),
            Truth::Unknown(_)
        ));
    }
}
