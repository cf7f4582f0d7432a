//! The names a ticket's history and articles are stored under: every kind
//! of event, an article's direction and visibility, and who wrote it.
//!
//! The stored text is the name each `as_str` gives, as rows have always
//! had it; a renamed variant keeps its name here, so old rows still read.
//! The KPIs count events by these values: a kind that is renamed or
//! removed is a compile error in them, not a silently different report.

use super::ticket::named_enum;

/// What an event in a ticket's history records. `old_value` and
/// `new_value` say what changed, as noted on each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    // The ticket itself.
    /// Opened; the new value is the channel (`mail`, `call`, `major_incident`…).
    Created,
    /// Status moved (old → new status).
    Status,
    /// A closed ticket taken up again by a mail (old → new status).
    Reopened,
    Priority,
    Impact,
    Urgency,
    /// Ticket type (old → new).
    Type,
    Group,
    Assignee,
    /// Why the assignee was chosen.
    Assignment,
    Requester,
    WatcherAdded,
    WatcherRemoved,
    /// Cc'd people beyond the limit, not added.
    WatchersCapped,
    Parent,
    Child,
    /// A new ticket linked to an older one (the old ticket's number).
    Related,
    /// The older ticket's side of `Related` (the new ticket's number).
    FollowedBy,
    /// Merged into another ticket (its number): closed, its articles,
    /// watchers and later mail there.
    MergedInto,
    /// The other side of `MergedInto` (the merged ticket's number).
    MergedFrom,
    /// One of its articles became a ticket of its own (that ticket's number).
    SplitInto,
    /// Opened from an article of another ticket (that ticket's number).
    SplitFrom,
    /// The major-incident flag.
    Major,
    /// A major incident opened from this many similar tickets.
    MajorDetected,
    /// An intervention date.
    Planned,
    /// Closed because its parent closed (the parent's number).
    ClosedWithParent,
    /// Closed after waiting too long for the requester.
    AutoClosed,
    /// The requester reminded of a pending ticket.
    PendingReminder,
    /// A `[[rule]]` applied on opening.
    Rule,
    /// The classification hint the opening used.
    Classified,

    // Mail in and out.
    /// An article was added (its visibility).
    Article,
    /// The HTML part was dropped (why).
    HtmlNotKept,
    /// A charset we cannot decode (why, the charset).
    CharsetUnknown,
    /// A requester's "thank you" after the resolution: kept, not reopened.
    Thanks,
    /// The sender's address cannot receive mail as written.
    SenderAddressUnusable,
    /// A technician's address without the proof asked for.
    SenderUnproven,
    /// A technician's command refused (the command, the reason).
    CommandRefused,
    /// A technician's answer kept internal though written to go out: the
    /// notices it may quote could not be read back (why).
    KeptInternal,
    /// The requester closed the ticket with a knowledge-base answer.
    SelfService,
    /// A monitoring event reported recovered.
    EventRecovered,
    /// A monitoring event seen again (the count).
    EventRepeated,
    /// A bounce: permanent failure to deliver.
    DeliveryFailed,
    /// A delay notice: delivery still being tried.
    DeliveryDelayed,
    /// A recipient dropped: not an address mail can be sent to.
    MailNotSent,
    /// An automatic mail held back: rate limit or undeliverable address.
    AutomaticMailSuppressed,

    // Knowledge base.
    KbRequested,
    KbSolution,
    KbDrafted,
    KbSuggested,

    // SLA.
    /// A timer's state moved (`first_response running` → `… met`).
    Sla,
    SlaStarted,
    /// Met in time (policy, timer kind): counted by the KPIs.
    SlaMet,
    /// Missed (policy, timer kind): counted by the KPIs.
    SlaBreached,
    /// The ticket moved under another policy or target.
    SlaPolicy,
    SlaWarning,

    // Satisfaction.
    SurveyScheduled,
    SurveySent,
    /// A rating (old → new).
    Satisfaction,
    SatisfactionComment,
    /// A low rating: the problem came back.
    SurveyProblemBack,

    // Privacy and retention.
    /// A person asked to be erased: their address became the new value.
    ContactErased,
    /// The retention policy replaced the ticket's people by pseudonyms.
    Anonymised,
    /// The retention policy deleted raw mail of the ticket (new value: how many).
    RawMailDeleted,
}

named_enum!(EventKind, "event kind", {
    Created => "created",
    Status => "status",
    Reopened => "reopened",
    Priority => "priority",
    Impact => "impact",
    Urgency => "urgency",
    Type => "type",
    Group => "group",
    Assignee => "assignee",
    Assignment => "assignment",
    Requester => "requester",
    WatcherAdded => "watcher_added",
    WatcherRemoved => "watcher_removed",
    WatchersCapped => "watchers_capped",
    Parent => "parent",
    Child => "child",
    Related => "related",
    FollowedBy => "followed_by",
    MergedInto => "merged_into",
    MergedFrom => "merged_from",
    SplitInto => "split_into",
    SplitFrom => "split_from",
    Major => "major",
    MajorDetected => "major_detected",
    Planned => "planned",
    ClosedWithParent => "closed_with_parent",
    AutoClosed => "auto_closed",
    PendingReminder => "pending_reminder",
    Rule => "rule",
    Classified => "classified",
    Article => "article",
    HtmlNotKept => "html_not_kept",
    CharsetUnknown => "charset_unknown",
    Thanks => "thanks",
    SenderAddressUnusable => "sender_address_unusable",
    SenderUnproven => "sender_unproven",
    CommandRefused => "command_refused",
    KeptInternal => "kept_internal",
    SelfService => "self_service",
    EventRecovered => "event_recovered",
    EventRepeated => "event_repeated",
    DeliveryFailed => "delivery_failed",
    DeliveryDelayed => "delivery_delayed",
    MailNotSent => "mail_not_sent",
    AutomaticMailSuppressed => "automatic_mail_suppressed",
    KbRequested => "kb_requested",
    KbSolution => "kb_solution",
    KbDrafted => "kb_drafted",
    KbSuggested => "kb_suggested",
    Sla => "sla",
    SlaStarted => "sla_started",
    SlaMet => "sla_met",
    SlaBreached => "sla_breached",
    SlaPolicy => "sla_policy",
    SlaWarning => "sla_warning",
    SurveyScheduled => "survey_scheduled",
    SurveySent => "survey_sent",
    Satisfaction => "satisfaction",
    SatisfactionComment => "satisfaction_comment",
    SurveyProblemBack => "survey_problem_back",
    ContactErased => "contact_erased",
    Anonymised => "anonymised",
    RawMailDeleted => "raw_mail_deleted",
});

impl EventKind {
    /// A move of the ticket's status, whatever caused it: what the KPIs
    /// read a ticket's status at an instant from.
    pub fn is_status_change(self) -> bool {
        matches!(self, EventKind::Status | EventKind::Reopened)
    }
}

/// Which way an article went: a mail received, or one a technician wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    In,
    Out,
}

named_enum!(Direction, "direction", {
    In => "in",
    Out => "out",
});

/// Who may read an article: the requester and watchers too, or staff only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Public,
    Internal,
}

named_enum!(Visibility, "visibility", {
    Public => "public",
    Internal => "internal",
});

impl Visibility {
    pub fn internal_if(internal: bool) -> Visibility {
        if internal {
            Visibility::Internal
        } else {
            Visibility::Public
        }
    }
}

/// Who wrote an article, as the ticket knew them when it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorRole {
    Requester,
    Watcher,
    Technician,
    /// Neither a participant nor a technician (a guessed ticket number).
    Stranger,
    /// A machine: a monitoring event's follow-up mail.
    Automatic,
}

named_enum!(AuthorRole, "author role", {
    Requester => "requester",
    Watcher => "watcher",
    Technician => "technician",
    Stranger => "stranger",
    Automatic => "automatic",
});

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_event_kind_reads_back_from_its_stored_name_and_no_two_share_one() {
        let mut names = HashSet::new();
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(*k));
            assert!(names.insert(k.as_str()), "two kinds are stored as `{k}`");
            assert!(k.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "`{k}` is not snake_case");
        }
    }

    /// Rows already stored hold these names: a variant may be renamed,
    /// its stored name may not (there is no migration of old rows).
    #[test]
    fn the_stored_names_are_those_old_rows_hold() {
        let stored = "created status reopened priority impact urgency type group assignee assignment requester \
            watcher_added watcher_removed watchers_capped parent child related followed_by merged_into merged_from split_into split_from major \
            major_detected \
            planned closed_with_parent auto_closed pending_reminder rule classified article html_not_kept \
            charset_unknown thanks sender_address_unusable sender_unproven command_refused kept_internal self_service \
            event_recovered event_repeated delivery_failed delivery_delayed mail_not_sent \
            automatic_mail_suppressed kb_requested kb_solution kb_drafted kb_suggested sla sla_started sla_met \
            sla_breached sla_policy sla_warning survey_scheduled survey_sent satisfaction satisfaction_comment \
            survey_problem_back contact_erased anonymised raw_mail_deleted";
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, stored.split_whitespace().collect::<Vec<_>>());
        let articles: Vec<&str> = Direction::ALL
            .iter()
            .map(|d| d.as_str())
            .chain(Visibility::ALL.iter().map(|v| v.as_str()))
            .chain(AuthorRole::ALL.iter().map(|r| r.as_str()))
            .collect();
        assert_eq!(
            articles,
            ["in", "out", "public", "internal", "requester", "watcher", "technician", "stranger", "automatic"]
        );
    }

    #[test]
    fn an_unknown_stored_kind_is_kept_in_the_error() {
        let err = "opened_by_fax".parse::<EventKind>().unwrap_err();
        assert_eq!(err.value, "opened_by_fax");
        assert!(err.to_string().contains("created, status, reopened"), "{err}");
    }

    #[test]
    fn directions_visibilities_and_roles_read_back_from_their_names() {
        for d in Direction::ALL {
            assert_eq!(d.as_str().parse::<Direction>(), Ok(*d));
        }
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(*v));
        }
        for r in AuthorRole::ALL {
            assert_eq!(r.as_str().parse::<AuthorRole>(), Ok(*r));
        }
        assert_eq!(Visibility::internal_if(true), Visibility::Internal);
        assert!("sideways".parse::<Direction>().unwrap_err().to_string().contains("in, out"));
    }
}
