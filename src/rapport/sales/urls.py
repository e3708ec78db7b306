from django.urls import path

from rapport.contacts import list_views
from rapport.sales.views import board, catalog, deals, documents, forecast, leads, pickers, setup, table

DEAL = {"record_type": "deal"}

app_name = "sales"

urlpatterns = [
    # Deals: board, table, record pages
    path("deals/board/", board.board_redirect, name="board"),
    path("pipelines/<int:pk>/board/", board.board, name="pipeline_board"),
    path("deals/", table.deal_list, name="deal_list"),
    path("deals/bulk/", list_views.record_bulk, DEAL, name="deal_bulk"),
    path("deals/export/", table.deal_export, name="deal_export"),
    path("deals/views/save/", list_views.saved_view_save, DEAL, name="deal_view_save"),
    path("deals/<int:pk>/cell/<str:field>/", list_views.record_cell, DEAL, name="deal_cell"),
    path("deals/<int:pk>/cell/<str:field>/show/", list_views.record_cell_show, DEAL, name="deal_cell_show"),
    path("deals/new/", deals.deal_create, name="deal_create"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", board.deal_move, name="deal_move"),
    path("deals/<int:pk>/won/", deals.deal_won, name="deal_won"),
    path("deals/<int:pk>/lost/", deals.deal_lost, name="deal_lost"),
    path("deals/<int:pk>/reopen/", deals.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/delete/", deals.deal_delete, name="deal_delete"),
    path("deals/<int:pk>/lines/", deals.deal_line_add, name="deal_line_add"),
    path("deals/<int:pk>/lines/<int:line_id>/edit/", deals.deal_line_edit, name="deal_line_edit"),
    path("deals/<int:pk>/lines/<int:line_id>/remove/", deals.deal_line_remove, name="deal_line_remove"),
    path("deals/<int:pk>/contacts/", deals.deal_contact_add, name="deal_contact_add"),
    path("deals/<int:pk>/contacts/<int:row_id>/remove/", deals.deal_contact_remove, name="deal_contact_remove"),
    path("deals/<int:pk>/quotes/", deals.quote_create, name="quote_create"),
    path("pickers/<str:kind>/", pickers.picker, name="picker"),
    # Quotes
    path("quotes/", documents.quote_list, name="quote_list"),
    path("quotes/<int:pk>/", documents.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/edit/", documents.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/lines/", documents.quote_line_add, name="quote_line_add"),
    path("quotes/<int:pk>/lines/<int:line_id>/remove/", documents.quote_line_remove, name="quote_line_remove"),
    path("quotes/<int:pk>/send/", documents.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", documents.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", documents.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/delete/", documents.quote_delete, name="quote_delete"),
    path("quotes/<int:pk>/print/", documents.quote_print, name="quote_print"),
    path("quotes/<int:pk>/pdf/", documents.quote_pdf_download, name="quote_pdf"),
    # Orders
    path("orders/", documents.order_list, name="order_list"),
    path("orders/new/", documents.order_create, name="order_create"),
    path("orders/<int:pk>/", documents.order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", documents.order_edit, name="order_edit"),
    path("orders/<int:pk>/lines/", documents.order_line_add, name="order_line_add"),
    path("orders/<int:pk>/lines/<int:line_id>/remove/", documents.order_line_remove, name="order_line_remove"),
    # Products
    path("products/", catalog.product_list, name="product_list"),
    path("products/new/", catalog.product_create, name="product_create"),
    path("products/<int:pk>/", catalog.product_edit, name="product_edit"),
    path("products/<int:pk>/delete/", catalog.product_delete, name="product_delete"),
    # Forecast and leads
    path("forecast/", forecast.forecast, name="forecast"),
    path("leads/", leads.lead_inbox, name="lead_inbox"),
    path("leads/assign/", leads.leads_assign, name="leads_assign"),
    path("leads/<int:pk>/status/", leads.lead_status, name="lead_status"),
    path("leads/<int:pk>/convert/", leads.lead_convert, name="lead_convert"),
    # Set-up
    path("settings/sales/", setup.settings_page, name="settings"),
    path("settings/sales/standard/", setup.standard_setup, name="standard_setup"),
    path("settings/sales/pipelines/", setup.pipeline_create, name="pipeline_create"),
    path("settings/sales/pipelines/<int:pk>/", setup.pipeline_edit, name="pipeline_edit"),
    path("settings/sales/pipelines/<int:pk>/delete/", setup.pipeline_delete, name="pipeline_delete"),
    path("settings/sales/pipelines/<int:pk>/stages/", setup.stage_create, name="stage_create"),
    path("settings/sales/stages/<int:pk>/", setup.stage_edit, name="stage_edit"),
    path("settings/sales/stages/<int:pk>/move/", setup.stage_move, name="stage_move"),
    path("settings/sales/stages/<int:pk>/delete/", setup.stage_delete, name="stage_delete"),
    path("settings/sales/lost-reasons/", setup.lost_reason_create, name="lost_reason_create"),
    path("settings/sales/lost-reasons/<int:pk>/toggle/", setup.lost_reason_toggle, name="lost_reason_toggle"),
    path("settings/sales/quotas/", setup.quota_create, name="quota_create"),
    path("settings/sales/quotas/<int:pk>/delete/", setup.quota_delete, name="quota_delete"),
    path("settings/sales/assignment-rules/", setup.rule_create, name="rule_create"),
    path("settings/sales/assignment-rules/<int:pk>/delete/", setup.rule_delete, name="rule_delete"),
]
