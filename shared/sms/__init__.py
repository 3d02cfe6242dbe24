"""SMS for the claimant: a provider protocol, GOV.UK Notify / NotifyNL, a file sink.

Generic: nothing here imports a service.
"""

from shared.sms.provider import SmsProvider

__all__ = ["SmsProvider"]
