from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerLevel(models.TextChoices):
    VIP = "vip", _("VIP")
    NORMAL = "normal", _("Normal")


class CustomerType(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    DISTRIBUTOR = "distributor", _("Distributor")
    SUPERMARKET = "supermarket", _("Supermarket")
    REGULATOR = "regulator", _("Regulator")
    MEDIA = "media", _("Media")
    RETAILER = "retailer", _("Retailer")
    BUYER = "buyer", _("Buyer")
    INTERNAL = "internal", _("Internal staff")
