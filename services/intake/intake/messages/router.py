"""HTTP API of the messages to claimants: what a claim received, resends, letters, previews."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response, status

from intake.deps import Container, Settings
from intake.messages import service
from intake.messages.models import Message
from intake.messages.runtime import channels_of
from intake.messages.schemas import (
    MessageAttemptRead,
    MessageDetail,
    MessageRead,
    OfficeContactRead,
    OfficeContactUpdate,
    PrintBatchRead,
    ResendRequest,
    SendRunRead,
)
from intake.messages.sending import send_due
from shared.reference import InvalidPostcodeError, normalize_postcode
from shared.web.auth import Principal, Role, requires
from shared.web.pagination import Page, PageParams, page_params
from shared.web.problems import PROBLEM_RESPONSES, InvalidField, conflict_doc

router = APIRouter(tags=["messages"], responses=PROBLEM_RESPONSES)

READ_ROLES = (
    Role.CLAIMANT,
    Role.COACH,
    Role.TEAM_LEAD,
    Role.BENEFITS_OFFICER,
    Role.TRIAGE_ANALYST,
    Role.ADMIN,
)
BODY_READ_ROLES = (Role.CLAIMANT, Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER)
STAFF_ROLES = (Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER, Role.TRIAGE_ANALYST, Role.ADMIN)


def _read(message: Message, principal: Principal) -> MessageRead:
    return MessageRead(
        id=message.id,
        claim_id=message.claim_id,
        kind=message.kind,
        channel=message.channel,
        language=message.language,
        status=message.status,
        attempts=message.attempts,
        subject=message.subject if service.may_read_body(principal) else None,
        created_at=message.created_at,
        delivered_at=message.delivered_at,
        finished_at=message.finished_at,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
        provider_message_id=message.provider_message_id,
        fallback_for_id=message.fallback_for_id,
        resend_of_id=message.resend_of_id,
        requested_by=message.requested_by,
        has_letter=message.channel == "letter" and message.letter_pages is not None,
    )


@router.get(
    "/v1/claims/{claim_id}/messages",
    response_model=Page[MessageRead],
    summary="The messages a claim received (e-mail, SMS, letters) and how they went",
)
def list_claim_messages(
    claim_id: uuid.UUID,
    container: Container,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> Page[MessageRead]:
    """Newest first. The claimant sees their own; staff the claims they may see (need to
    know, ADR 0022). Subjects only for roles that may read what the claimant was told."""
    with container.uow() as uow:
        rows, total = service.list_for_claim(
            uow=uow,
            claim_id=claim_id,
            principal=principal,
            limit=page.limit,
            offset=page.offset,
        )
        items = [_read(m, principal) for m in rows]
    return Page[MessageRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/v1/messages/{message_id}",
    response_model=MessageDetail,
    summary="One message with its text (the claimant, coaches, team leads, benefits officers)",
)
def get_message(
    message_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> MessageDetail:
    """The text is shown only to roles that may read it; others get the delivery facts.
    Audited as `message.read`."""
    with container.uow() as uow:
        message = service.get_message(
            uow=uow, message_id=message_id, principal=principal, action="message.read"
        )
        detail = MessageDetail(**_read(message, principal).model_dump())
        if service.may_read_body(principal):
            detail.body_text, detail.body_html = service.body_of(uow, message.id)
    return detail


@router.get(
    "/v1/messages/{message_id}/attempts",
    response_model=list[MessageAttemptRead],
    summary="The delivery log of a message (staff)",
)
def message_attempts(
    message_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
) -> list[MessageAttemptRead]:
    """Every attempt: outcome, the provider's status code and id, the error."""
    with container.uow() as uow:
        message = service.get_message(
            uow=uow, message_id=message_id, principal=principal, action="message.attempts"
        )
        return [MessageAttemptRead.model_validate(a) for a in service.attempts_of(uow, message.id)]


@router.get(
    "/v1/messages/{message_id}/letter.pdf",
    summary="Download a letter as PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The letter"}},
)
def letter_pdf(
    message_id: uuid.UUID,
    container: Container,
    principal: Principal = Depends(requires(roles=BODY_READ_ROLES)),
) -> Response:
    """The letter as it went to the print room; audited as `message.letter`."""
    with container.uow() as uow:
        message = service.get_message(
            uow=uow, message_id=message_id, principal=principal, action="message.letter"
        )
        pdf = service.letter_of(uow, message)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="brief-{message_id}.pdf"'},
    )


@router.post(
    "/v1/messages/{message_id}/resend",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageRead,
    summary="Send a message again (staff, audited with a reason)",
    responses=conflict_doc(
        "the message or an earlier resend of it is still on its way, or there is nothing to "
        "resend (appointment cancelled or moved, claim closed, no address for the channel)"
    ),
)
def resend_message(
    message_id: uuid.UUID,
    body: ResendRequest,
    container: Container,
    settings: Settings,
    principal: Principal = Depends(
        requires(roles=(Role.COACH, Role.TEAM_LEAD, Role.BENEFITS_OFFICER))
    ),
) -> MessageRead:
    """A new message on the same channel, rendered with today's contact details."""
    with container.uow() as uow:
        message = service.resend(
            uow=uow,
            message_id=message_id,
            principal=principal,
            reason=body.reason,
            settings=settings,
            now=dt.datetime.now(dt.UTC),
        )
        read = _read(message, principal)
    return read


Part = Literal["subject", "text", "html", "sms"]


@router.get(
    "/v1/message-templates/{kind}/preview",
    summary="A message template rendered with sample data (staff)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}, "text/html": {}}, "description": "Rendered"}},
)
def preview_template(
    kind: str,
    language: Literal["nl", "en"] = Query("nl"),
    part: Part = Query("html", description="subject, text, html or sms"),
    principal: Principal = Depends(requires(roles=STAFF_ROLES)),
) -> Response:
    """How a message of `kind` looks (sample data, no personal data)."""
    text = service.preview(kind, language, part)
    media = "text/html" if part == "html" else "text/plain"
    return Response(content=text, media_type=f"{media}; charset=utf-8")


@router.get(
    "/v1/offices/{office_code}/contact",
    response_model=OfficeContactRead,
    summary="An office's visiting address and contact details",
)
def get_office_contact(
    office_code: str,
    container: Container,
    principal: Principal = Depends(requires(roles=READ_ROLES)),
) -> OfficeContactRead:
    """As invitations and letters show them."""
    with container.uow() as uow:
        return OfficeContactRead.model_validate(service.office_contact(uow, office_code))


@router.put(
    "/v1/offices/{office_code}/contact",
    response_model=OfficeContactRead,
    summary="Change an office's visiting address and contact details (admin, audited)",
)
def put_office_contact(
    office_code: str,
    body: OfficeContactUpdate,
    container: Container,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
) -> OfficeContactRead:
    """Messages planned from now on use the new details."""
    try:
        postcode = normalize_postcode(body.postcode)
    except InvalidPostcodeError as exc:
        raise InvalidField("postcode", str(exc)) from None
    values = body.model_dump()
    values["postcode"] = postcode
    with container.uow() as uow:
        row = service.update_office_contact(
            uow=uow,
            code=office_code,
            values=values,
            principal=principal,
            now=dt.datetime.now(dt.UTC),
        )
        return OfficeContactRead.model_validate(row)


@router.post(
    "/v1/admin/messages/run",
    response_model=SendRunRead,
    summary="Send the messages that are due now (admin; called by a scheduler)",
)
def run_sender(
    container: Container,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
) -> SendRunRead:
    """One sender run: retries with backoff, gives up after the last attempt."""
    run = send_due(container.uow, channels_of(container), registry=container.metrics.registry)
    return SendRunRead(
        attempted=run.attempted,
        sent=run.sent,
        retrying=run.retrying,
        bounced=run.bounced,
        failed=run.failed,
        suppressed=run.suppressed,
        recovered=run.recovered,
        unconfirmed=run.unconfirmed,
    )


@router.post(
    "/v1/admin/print-batches/run",
    response_model=PrintBatchRead | None,
    summary="Join today's letters into the print batch (admin; called by a scheduler)",
)
def run_print_batch(
    container: Container,
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
) -> PrintBatchRead | None:
    """null when no letters were spooled since the last batch."""
    with container.uow() as uow:
        batch = service.run_print_batch(
            uow=uow, letter_dir=channels_of(container).letter_dir, now=dt.datetime.now(dt.UTC)
        )
        return PrintBatchRead.model_validate(batch) if batch is not None else None


@router.get(
    "/v1/admin/print-batches",
    response_model=Page[PrintBatchRead],
    summary="Print batches, newest first (admin)",
)
def list_print_batches(
    container: Container,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(requires(roles=(Role.ADMIN,))),
) -> Page[PrintBatchRead]:
    with container.uow() as uow:
        rows, total = service.list_print_batches(uow, limit=page.limit, offset=page.offset)
        items = [PrintBatchRead.model_validate(r) for r in rows]
    return Page[PrintBatchRead](items=items, total=total, limit=page.limit, offset=page.offset)
