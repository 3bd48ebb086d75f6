package fr.cartable.mobile

import fr.cartable.mobile.Demo.signedIn
import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class InvoicesTest {

    @Test
    fun `Mes Factures is filled on the first sync and last month's invoice is paid`() {
        signedIn().use { phone ->
            val invoices = phone.invoices()
            assertTrue(invoices.isNotEmpty(), "the demo issued last month's invoices")
            val last = invoices.first()
            assertEquals("invoice", last.kind)
            assertTrue(last.number.startsWith("F"), last.number)
            assertEquals("paid", last.status, "the Martins paid by card")
            assertTrue(last.lines.isNotEmpty())
            assertTrue(last.lines.any { it.childName.startsWith("Léa") }, "${last.lines}")
            assertTrue(last.totalCents > 0)
            val balance = phone.balance()
            assertEquals(0L, balance.balanceCents, balance.label)
            assertEquals("card", balance.payments.single().method)
        }
    }

    @Test
    fun `the Benalis owe last month's invoice`() {
        signedIn("samira.benali").use { phone ->
            val invoice = phone.invoices().first()
            assertEquals("unpaid", invoice.status)
            assertEquals(invoice.totalCents, invoice.remainingCents)
            val balance = phone.balance()
            assertEquals(-invoice.totalCents, balance.balanceCents)
            assertTrue(balance.label.contains("à payer"), balance.label)
        }
    }

    @Test
    fun `a booking is priced offline and a PDF is kept for offline reading`() {
        signedIn().use { phone ->
            val lea = Demo.lea(phone)
            val canteen = phone.bookingPrice(lea.id, "2026-12-14", "cantine")
            assertTrue(canteen.billed)
            assertEquals(305L, canteen.cents, "QF 820 is in the 600 to 999 band")
            assertEquals("3,05\u00a0€", canteen.label)
            val centre = phone.bookingPrice(lea.id, "2026-12-22", "vacances-noel")
            assertTrue(centre.billed, "the Christmas holiday centre the information announces exists")
            assertFalse(phone.bookingPrice(lea.id, "2026-12-25", "vacances-noel").billed, "Christmas Day")
            val number = phone.invoices().first().number
            val pdf = File(phone.invoicePdf(number))
            assertTrue(pdf.readBytes().copyOfRange(0, 5).contentEquals("%PDF-".toByteArray()))
            assertEquals(pdf.path, phone.invoices().first().localPdf)
            assertThrows<CartableException.InvalidInput> { phone.invoicePdf("F1999-000001") }
        }
    }
}
