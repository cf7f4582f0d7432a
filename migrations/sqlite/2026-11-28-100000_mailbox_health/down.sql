DROP TABLE mailbox_health;
