"""Graph error bodies the Facebook and Instagram sandboxes answer with (platforms.md §1.8, §3.5).

`error_response(code, subcode)` gives Meta's own message, user title/message, `is_transient` and
HTTP status for the codes in ERRORS, and a generic "(#code) …" under HTTP 400 for any other.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response

# "code[/subcode]" → (HTTP status, message, error_user_title, error_user_msg, is_transient).
ERRORS: dict[str, tuple[int, str, str, str, bool]] = {
    "1": (500, "An unknown error has occurred.", "", "", True),
    "2": (500, "An unexpected error has occurred. Please retry your request later.", "", "", True),
    "3": (400, "(#3) Application does not have the capability to make this API call.", "", "",
          False),
    "4": (400, "(#4) Application request limit reached", "", "", True),
    "10": (400, "(#10) Application does not have permission for this action", "", "", False),
    "17": (400, "(#17) User request limit reached", "", "", True),
    "32": (400, "(#32) Page request limit reached", "", "", True),
    "100": (400, "(#100) Invalid parameter", "", "", False),
    "102": (400, "Session key invalid or no longer valid", "", "", False),
    "190": (400, "Invalid OAuth access token - Cannot parse access token", "", "", False),
    "190/458": (400, "Error validating access token: The user has not authorized application.",
                "", "", False),
    "190/459": (400, "Error validating access token: You cannot access the app till you log in "
                "to www.facebook.com and follow the instructions given.", "", "", False),
    "190/460": (400, "Error validating access token: The session has been invalidated because "
                "the user changed their password.", "", "", False),
    "190/463": (400, "Error validating access token: Session has expired.", "", "", False),
    "190/464": (400, "Error validating access token: Sessions for the user are not allowed "
                "because the user is not a confirmed user.", "", "", False),
    "190/467": (400, "Error validating access token: The access token is invalid.", "", "", False),
    "190/492": (400, "Error validating access token: Invalid session.", "", "", False),
    "200": (403, "(#200) Permissions error", "", "", False),
    "341": (400, "(#341) Feed action request limit reached", "", "", True),
    "368": (400, "(#368) The action attempted has been deemed abusive or is otherwise "
            "disallowed", "", "", False),
    "506": (400, "(#506) Duplicate status message", "Duplicate Post",
            "Duplicate posts cannot be published consecutively. Change the content.", False),
    "613": (400, "(#613) Calls to this api have exceeded the rate limit.", "", "", True),
    "1609005": (400, "(#1609005) Error posting link", "", "", False),
    "80001": (400, "(#80001) There have been too many calls to this Page account. Wait a bit "
              "and try again.", "", "", True),
    "80002": (400, "(#80002) There have been too many calls to this Instagram account. Wait a "
              "bit and try again.", "", "", True),
    "-2/2207003": (400, "Timeout", "Timeout downloading media",
                   "It takes too long to download the media.", True),
    "-2/2207020": (400, "The media you are trying to access has expired.", "Media expired",
                   "Please try to generate a new container ID and use it to try again.", False),
    "-1/2207001": (400, "An unexpected error has occurred. Please retry your request later.",
                   "Server error", "Instagram server error.", True),
    "-1/2207032": (400, "Create media fail", "Create media failed",
                   "Failed to create the media, please try again.", True),
    "-1/2207053": (400, "Upload failed", "Unknown upload error", "Unknown upload error.", True),
    "1/2207057": (400, "Invalid parameter", "Invalid thumbnail offset",
                  "The thumbnail offset is invalid.", False),
    "4/2207051": (400, "Application request limit reached", "Action blocked",
                  "We restrict certain activity to protect our community.", False),
    "9/2207042": (400, "Application request limit reached", "Max. number of posts reached",
                  "You reached maximum number of posts that is allowed to be published by "
                  "Content Publishing API.", False),
    "9/2207069": (400, "Application request limit reached", "Media Creation Limit Exceeded",
                  "You have reached the limit of media containers for this account.", False),
    "24/2207006": (400, "The media with id is not found", "Media not found",
                   "The media could not be found. It may have been removed.", False),
    "24/2207008": (400, "Media builder does not exist", "Media container not found",
                   "The media container does not exist or has expired.", False),
    "25/2207050": (400, "The user is restricted", "Restricted account",
                   "The Instagram account is restricted.", False),
    "100/2207023": (400, "The media type is unknown", "Unknown media type",
                    "The media type is unknown.", False),
    "100/2207028": (400, "Carousel validation failed", "Invalid number of carousel items",
                    "A carousel needs between 2 and 10 items.", False),
    "100/2207040": (400, "Too many tags", "Too many mentions",
                    "Cannot use more than 20 @ tags.", False),
    "352/2207026": (400, "The video format is not supported", "Unsupported video format",
                    "The video format is not supported.", False),
    "9004/2207052": (400, "Media download has failed", "Media could not be fetched",
                     "The media could not be fetched from this URI.", False),
    "9007/2207027": (400, "Media ID is not available", "Media not ready",
                     "The media is not ready for publishing, please wait for a moment.", False),
    "36000/2207004": (400, "The image size is too large", "Image too large",
                      "The image is larger than 8 MiB.", False),
    "36001/2207005": (400, "The image format is not supported", "Unsupported image format",
                      "Only JPEG images are supported.", False),
    "36003/2207009": (400, "The aspect ratio is not supported", "Invalid aspect ratio",
                      "The aspect ratio must be between 4:5 and 1.91:1.", False),
    "36004/2207010": (400, "The caption is too long", "Caption too long",
                      "The caption may have at most 2200 characters.", False),
}


def error_response(
    code: int | str,
    subcode: int | str | None = None,
    message: str | None = None,
    *,
    status: int | None = None,
    version: str = "v25.0",
    usage: dict[str, Any] | None = None,
) -> Response:
    """A Graph error body with Meta's message for the code when none is given."""
    key = f"{code}/{subcode}" if subcode not in (None, "") else str(code)
    known = ERRORS.get(key) or ERRORS.get(str(code))
    http, text, title, user_msg, transient = known or (400, f"(#{code}) Simulated error", "", "",
                                                       False)
    error: dict[str, Any] = {
        "message": message or text,
        "type": "OAuthException",
        "code": int(code),
        "fbtrace_id": uuid.uuid4().hex[:11],
    }
    if subcode not in (None, ""):
        error["error_subcode"] = int(subcode)  # type: ignore[arg-type]
    if transient:
        error["is_transient"] = True
    if title:
        error["error_user_title"] = title
        error["error_user_msg"] = user_msg
    return json_response({"error": error}, status or http, version=version, usage=usage)


def json_response(
    body: Any, status: int = 200, *, version: str = "v25.0", usage: dict[str, Any] | None = None
) -> Response:
    response = Response(
        json.dumps(body), status=status, content_type="application/json; charset=UTF-8"
    )
    response.headers["facebook-api-version"] = version
    for name, value in (usage or {}).items():
        response.headers[name] = json.dumps(value)
    return response
