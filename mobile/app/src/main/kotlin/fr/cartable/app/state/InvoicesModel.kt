package fr.cartable.app.state

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import fr.cartable.mobile.Balance
import fr.cartable.mobile.CartableException
import fr.cartable.mobile.Invoice

/** "Mes factures": the balance, the invoices, their PDFs kept for offline reading. */
class InvoicesModel(private val app: AppModel) {
    var balance by mutableStateOf<Balance?>(null)
        private set
    var invoices by mutableStateOf<List<Invoice>>(emptyList())
        private set

    suspend fun load() {
        balance = runCatching { app.cartable.balance() }.getOrNull()
        invoices = runCatching { app.cartable.invoices() }.getOrDefault(emptyList())
    }

    /** Opens the PDF of invoice [number], fetched once and then read offline. */
    suspend fun openPdf(number: String) {
        try {
            val file = app.cartable.invoicePdf(number)
            if (!app.platform.open(file)) app.announcements += "Facture enregistrée : ${file.name}"
        } catch (e: CartableException.Network) {
            app.offline("La facture n'est pas encore sur ce téléphone : il faut du réseau pour la télécharger une première fois.")
        } catch (e: CartableException) {
            app.report(e)
        }
        load()
    }
}
