"""The shop's pages. Each view a customer sees is a page view Octy learns from."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from django_octy import insights as octy_insights
from django_octy.models import Segment

from .churn import AT_RISK_SHOWN, at_risk, churn_summary
from .models import Customer, Order, PageView, PaymentMethod, Product


def customer_of(request: HttpRequest) -> Customer | None:
    if not request.user.is_authenticated:
        return None
    return Customer.objects.filter(user=request.user).first()


def record_view(request: HttpRequest, product: Product | None = None) -> None:
    customer = customer_of(request)
    if customer is not None:
        PageView.objects.create(customer=customer, path=request.path, product=product)


def home(request: HttpRequest) -> HttpResponse:
    record_view(request)
    products = Product.objects.all()[:12]
    return render(request, "shop/home.html", {"products": products})


def product_detail(request: HttpRequest, sku: str) -> HttpResponse:
    product = get_object_or_404(Product, sku=sku)
    record_view(request, product)
    context = {"product": product, "payment_methods": PaymentMethod.choices}
    return render(request, "shop/product_detail.html", context)


@login_required
@require_POST
def buy(request: HttpRequest, sku: str) -> HttpResponse:
    product = get_object_or_404(Product, sku=sku)
    customer = customer_of(request)
    if customer is None:
        return redirect("shop:product", sku=sku)
    method = request.POST.get("payment_method", PaymentMethod.VISA)
    if method not in PaymentMethod.values:
        method = PaymentMethod.VISA
    with transaction.atomic():
        order = Order.objects.create(customer=customer)
        order.lines.create(product=product, unit_price=product.price)
        # Paying saves the order again: its source records one charged event per line.
        order.paid_at = timezone.now()
        order.payment_method = method
        order.save()
    return redirect("shop:orders")


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    customer = customer_of(request)
    placed = (
        Order.objects.filter(customer=customer).prefetch_related("lines__product")[:20]
        if customer
        else []
    )
    return render(request, "shop/orders.html", {"orders": placed})


@staff_member_required
def insights(request: HttpRequest) -> HttpResponse:
    """What Octy computed: its churn report and the customers at high risk, by segment."""
    segments = list(Segment.objects.order_by("segment_name").values_list("segment_name", flat=True))
    segment = request.GET.get("segment") or None
    if segment not in segments:
        segment = None
    customers = at_risk(segment)
    shown = list(customers[:AT_RISK_SHOWN])
    context = {
        **churn_summary(),
        "segments": segments,
        "segment": segment,
        "at_risk_count": customers.count(),
        "at_risk": [
            {"customer": customer, "profile": profile}
            for customer, profile in zip(shown, octy_insights.profiles_of(shown), strict=True)
        ],
    }
    return render(request, "shop/insights.html", context)
