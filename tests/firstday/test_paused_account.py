"""A configuration failure on one account: the secretariat is told once (not once per delivery),
in words, and the deliveries that failed for it go out again once the account is fixed."""

from __future__ import annotations

from sqlalchemy import func, select

from drafts.mailbox import OutgoingMail
from drafts.models import ChannelAccount
from publisher.flows.notices import notify_worker_problem
from schedules.models import Delivery
from tests.firstday.helpers import arrange


def _two_failed_newsletters(app, admin_client, db) -> tuple[int, list[int]]:
    ids = []
    for title in ("Første nyhed", "Anden nyhed"):
        draft_id = arrange(db, title=title, channels=["newsletter"])
        assert (
            admin_client.post_form(
                f"/drafts/{draft_id}/transition", {"action": "approve"}
            ).status_code
            == 302
        )
        ids.append(draft_id)
    deliveries = list(db.scalars(select(Delivery).where(Delivery.draft_id.in_(ids))))
    assert len(deliveries) == 2
    for d in deliveries:  # what the worker records when Mailchimp refuses for the account
        d.status, d.last_error, d.last_error_detail = "failed", "sender_missing", "from_name"
    db.commit()
    account_id = deliveries[0].account_id
    with app.app_context():
        for d in deliveries:
            notify_worker_problem("failed", d)
    return account_id, [d.id for d in deliveries]


def test_two_failures_for_the_accounts_setup_give_one_notice_in_words(
    app, admin_client, db, routine_policy
):
    account_id, _ids = _two_failed_newsletters(app, admin_client, db)
    db.expire_all()
    mails = list(
        db.scalars(select(OutgoingMail).where(OutgoingMail.kind == f"account_config_{account_id}"))
    )
    recipients = {m.to_addr for m in mails}
    assert len(mails) == len(recipients) >= 1  # one per secretariat address, not per delivery
    assert "Nyhedsbrevskontoen mangler et afsendernavn" in mails[0].text_body
    assert (
        db.scalar(
            select(func.count())
            .select_from(OutgoingMail)
            .where(OutgoingMail.kind == "delivery_failed")
        )
        == 0
    )
    db.commit()


def test_saving_the_fix_sends_the_waiting_deliveries_again(app, admin_client, db, routine_policy):
    account_id, ids = _two_failed_newsletters(app, admin_client, db)
    db.commit()
    page = admin_client.get(f"/admin/accounts/{account_id}").get_data(as_text=True)
    assert 'name="opt_from_name"' in page and 'name="opt_reply_to"' in page
    form = {"opt_from_name": "Kulturmetropolen", "opt_reply_to": "nyhedsbrev@kulturmetropolen.dk"}
    response = admin_client.post_form(f"/admin/accounts/{account_id}/settings", form)
    assert response.status_code == 303
    db.expire_all()
    assert db.get(ChannelAccount, account_id).options["from_name"] == "Kulturmetropolen"
    assert {db.get(Delivery, i).status for i in ids} == {"scheduled"}
    db.commit()
