//! Diesel table definitions, kept in step with `migrations/` by hand.

diesel::table! {
    technician_away (email) {
        email -> Text,
        away_until -> Timestamp,
        reason -> Text,
        noticed_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        language -> Nullable<Text>,
        vip -> Bool,
        undeliverable_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        subject -> Text,
        ticket_type -> Text,
        status -> Text,
        impact -> Integer,
        urgency -> Integer,
        priority -> Integer,
        major -> Bool,
        parent_id -> Nullable<BigInt>,
        related_id -> Nullable<BigInt>,
        requester_id -> BigInt,
        assignee -> Nullable<Text>,
        group_name -> Nullable<Text>,
        category -> Nullable<Text>,
        language -> Text,
        mailbox -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        planned_at -> Nullable<Timestamp>,
        event_key -> Nullable<Text>,
        event_count -> Integer,
        pending_since -> Nullable<Timestamp>,
        reminded_at -> Nullable<Timestamp>,
        desk_address -> Text,
        merged_into -> Nullable<BigInt>,
        anonymised_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_watchers (ticket_id, contact_id) {
        ticket_id -> BigInt,
        contact_id -> BigInt,
    }
}

diesel::table! {
    ticket_tags (ticket_id, tag) {
        ticket_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    raw_messages (id) {
        id -> BigInt,
        sha256 -> Text,
        size -> BigInt,
        content -> Binary,
        received_at -> Timestamp,
        purged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    inbound (id) {
        id -> BigInt,
        raw_message_id -> BigInt,
        mailbox -> Text,
        message_id -> Nullable<Text>,
        body_sha256 -> Text,
        outcome -> Text,
        kind -> Text,
        reason -> Text,
        ticket_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    source_messages (mailbox, source_key) {
        mailbox -> Text,
        source_key -> Text,
        raw_message_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        raw_message_id -> Nullable<BigInt>,
        direction -> Text,
        visibility -> Text,
        author_role -> Text,
        from_addr -> Text,
        from_name -> Text,
        to_addrs -> Text,
        cc_addrs -> Text,
        subject -> Text,
        body_text -> Text,
        trimmed_text -> Text,
        body_html -> Nullable<Text>,
        message_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        size -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    attachments (id) {
        id -> BigInt,
        article_id -> BigInt,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        inline -> Bool,
        content_id -> Nullable<Text>,
    }
}

diesel::table! {
    message_ids (id) {
        id -> BigInt,
        message_id -> Text,
        ticket_id -> BigInt,
        direction -> Text,
        audience -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        actor -> Text,
        kind -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        article_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        ticket_id -> Nullable<BigInt>,
        template -> Text,
        message_id -> Text,
        envelope_from -> Text,
        recipients -> Text,
        subject -> Text,
        content -> Nullable<Binary>,
        automatic -> Bool,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        leased_until -> Nullable<Timestamp>,
        smaller_content -> Nullable<Binary>,
        lang -> Nullable<Text>,
        context -> Nullable<Text>,
        headers -> Nullable<Text>,
        files -> Nullable<Text>,
        article_id -> Nullable<BigInt>,
        smaller -> Bool,
    }
}

diesel::table! {
    outbox_attempts (id) {
        id -> BigInt,
        outbox_id -> BigInt,
        attempted_at -> Timestamp,
        result -> Text,
        detail -> Text,
    }
}

diesel::table! {
    sla_timers (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        kind -> Text,
        policy -> Text,
        due_at -> Timestamp,
        state -> Text,
        remaining_minutes -> Nullable<BigInt>,
        warned_at -> Nullable<Timestamp>,
        breached_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        target_minutes -> BigInt,
        used_minutes -> BigInt,
        running_since -> Nullable<Timestamp>,
        warn_percent -> Integer,
        warn_at -> Nullable<Timestamp>,
        met_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    surveys (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        state -> Text,
        due_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        message_id -> Nullable<Text>,
        rating -> Nullable<Integer>,
        comment -> Text,
        answered_via -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    desk_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mailbox_checkpoints (mailbox) {
        mailbox -> Text,
        uid_validity -> BigInt,
        last_uid -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    quarantine (id) {
        id -> BigInt,
        raw_message_id -> BigInt,
        mailbox -> Text,
        reason -> Text,
        state -> Text,
        retries -> Integer,
        created_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mailbox_health (mailbox) {
        mailbox -> Text,
        state -> Text,
        detail -> Text,
        holder -> Text,
        failures -> Integer,
        last_ok_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(tickets -> contacts (requester_id));
diesel::joinable!(articles -> tickets (ticket_id));
diesel::joinable!(kb_suggestions -> kb_articles (kb_article_id));
diesel::joinable!(ticket_terms -> tickets (ticket_id));
diesel::joinable!(attachments -> articles (article_id));
diesel::joinable!(ticket_watchers -> contacts (contact_id));
diesel::joinable!(quarantine -> raw_messages (raw_message_id));
diesel::joinable!(sla_timers -> tickets (ticket_id));
diesel::joinable!(surveys -> tickets (ticket_id));

diesel::table! {
    automatic_mail (id) {
        id -> BigInt,
        outbox_id -> BigInt,
        address -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    kb_articles (id) {
        id -> BigInt,
        title -> Text,
        body_text -> Text,
        body_html -> Text,
        lang -> Text,
        tags -> Text,
        status -> Text,
        source_ticket_id -> Nullable<BigInt>,
        source_file -> Nullable<Text>,
        search_text -> Text,
        suggested -> Integer,
        useful -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    kb_suggestions (ticket_id, kb_article_id) {
        ticket_id -> BigInt,
        kb_article_id -> BigInt,
        score -> Double,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_terms (ticket_id) {
        ticket_id -> BigInt,
        subject_terms -> Text,
        terms -> Text,
    }
}

diesel::table! {
    digests (technician, day) {
        technician -> Text,
        day -> Text,
        queued_at -> Timestamp,
    }
}

diesel::table! {
    retention_log (id) {
        id -> BigInt,
        action -> Text,
        ticket_id -> Nullable<BigInt>,
        count -> BigInt,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        subject -> Text,
        detail -> Text,
        outcome -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    contacts,
    tickets,
    ticket_watchers,
    ticket_tags,
    raw_messages,
    inbound,
    source_messages,
    articles,
    blobs,
    attachments,
    message_ids,
    events,
    outbox,
    outbox_attempts,
    automatic_mail,
    sla_timers,
    surveys,
    desk_secrets,
    mailbox_checkpoints,
    mailbox_health,
    quarantine,
    kb_articles,
    kb_suggestions,
    ticket_terms,
    digests,
    retention_log,
    audit_log,
);
