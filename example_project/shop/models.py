"""The shop: customers who log in, a catalogue, orders with lines, page views and logins."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )
    first_name = models.CharField(max_length=100, blank=True)
    gender = models.CharField(max_length=20, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    city = models.CharField(max_length=100, blank=True)
    os = models.CharField("operating system", max_length=20, blank=True)
    uses_vpn = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.user.get_username()


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class PaymentMethod(models.TextChoices):
    VISA = "visa", "Visa"
    MASTERCARD = "mastercard", "Mastercard"
    APPLE_PAY = "applepay", "Apple Pay"
    PAYPAL = "paypal", "PayPal"


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines.all()), Decimal(0))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity


class PageView(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="page_views")
    path = models.CharField(max_length=255)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    viewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer} viewed {self.path}"


class Login(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="logins")
    device = models.CharField(max_length=20)
    logged_in_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer} on {self.device}"
