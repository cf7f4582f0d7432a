DROP TABLE automatic_mail;
