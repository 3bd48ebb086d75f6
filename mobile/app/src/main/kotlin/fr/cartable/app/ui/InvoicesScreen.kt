package fr.cartable.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import fr.cartable.app.format.French
import fr.cartable.mobile.Balance
import fr.cartable.mobile.Invoice

/** "Mes factures": the balance, then the invoices, newest first. */
@Composable
fun InvoicesScreen(balance: Balance?, invoices: List<Invoice>, onOpenPdf: (String) -> Unit) {
    LazyColumn(
        Modifier.fillMaxSize(),
        contentPadding = androidx.compose.foundation.layout.PaddingValues(12.dp),
        verticalArrangement = Arrangement.spacedBy(10.dp),
    ) {
        item {
            Panel {
                Text("Solde", fontSize = 14.sp, color = Palette.muted)
                if (balance == null) {
                    Hint("Le solde arrive à la première synchronisation.")
                } else {
                    Text(French.euros(balance.balanceCents), fontSize = 28.sp, fontWeight = FontWeight.SemiBold)
                    if (!balance.label.startsWith("Solde")) Text(balance.label, fontSize = 15.sp)
                    if (balance.overdueCount > 0u) {
                        Text(
                            if (balance.overdueCount == 1u) "1 facture en retard de paiement" else "${balance.overdueCount} factures en retard de paiement",
                            color = Palette.refused, fontSize = 15.sp,
                        )
                    }
                    balance.payments.take(3).forEach { p ->
                        Text("Paiement du ${French.isoDate(p.receivedOn)} : ${French.euros(p.amountCents)} (${p.methodLabel})", fontSize = 14.sp, color = Palette.muted)
                    }
                }
            }
        }
        if (invoices.isEmpty()) item { Hint("Aucune facture pour le moment.", Modifier.padding(8.dp)) }
        items(invoices, key = { it.number }) { invoice -> InvoiceCard(invoice, onOpenPdf) }
    }
}

@Composable
private fun InvoiceCard(invoice: Invoice, onOpenPdf: (String) -> Unit) {
    Panel {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f)) {
                Text("${invoice.kindLabel} — ${invoice.monthLabel}", fontSize = 16.sp, fontWeight = FontWeight.SemiBold)
                Text("n° ${invoice.number}, émise le ${French.isoDate(invoice.issuedOn)}", fontSize = 13.sp, color = Palette.muted)
            }
            Text(French.euros(invoice.totalCents), fontSize = 17.sp, fontWeight = FontWeight.SemiBold)
        }
        val paid = invoice.remainingCents == 0L
        Text(
            if (paid) invoice.statusLabel.replaceFirstChar { it.uppercase() } else "${invoice.statusLabel.replaceFirstChar { it.uppercase() }} : reste ${French.euros(invoice.remainingCents)}, à payer avant le ${French.isoDate(invoice.dueOn)}",
            fontSize = 14.sp,
            color = if (paid) Palette.primaryDark else Palette.accepted,
        )
        invoice.lines.forEach { l ->
            val who = listOf(l.childName, l.activityName).filter { it.isNotBlank() }.joinToString(", ")
            Text(
                "${if (who.isNotBlank()) "$who — " else ""}${l.label} : ${l.quantity} × ${French.euros(l.unitCents)}",
                fontSize = 13.sp, color = Palette.muted,
            )
        }
        SecondButton(
            if (invoice.localPdf != null) "Ouvrir le PDF" else "Télécharger le PDF",
            { onOpenPdf(invoice.number) },
        )
    }
}
