package fr.cartable.mobile

import fr.cartable.mobile.Demo.bookableCells
import fr.cartable.mobile.Demo.entry
import fr.cartable.mobile.Demo.lea
import fr.cartable.mobile.Demo.signedIn
import fr.cartable.mobile.Demo.today
import java.time.DayOfWeek
import java.time.LocalDate
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class BookingTest {

    @Test
    fun `a canteen day booked offline is pending, then accepted by the server after a sync`() {
        signedIn().use { phone ->
            val lea = lea(phone)
            val day = bookableCells(phone, 1, lea.id, "cantine").single().date

            phone.book(lea.id, day, "cantine")
            assertEquals(RequestState.Pending, entry(phone, lea.id, day, "cantine").state)
            assertTrue(phone.status().pendingChanges > 0uL, "the booking waits for a sync")

            phone.sync()
            val decided = entry(phone, lea.id, day, "cantine")
            assertEquals(RequestState.Accepted, decided.state)
            assertEquals("réservé", decided.stateLabel)
            assertEquals(0uL, phone.status().pendingChanges)

            val cell = phone.planningWeek(day).rows.single { it.date == day }.cells
                .single { it.childId == lea.id && it.activityId == "cantine" }
            assertEquals(CellState.Accepted, cell.state)
            assertTrue(cell.canCancel, "a booking ahead of its deadline can be withdrawn")
        }
    }

    @Test
    fun `a Wednesday canteen is refused by the phone with a reason, and drawn closed`() {
        signedIn().use { phone ->
            val lea = lea(phone)
            var wednesday = today().plusDays(8)
            while (wednesday.dayOfWeek != DayOfWeek.WEDNESDAY) wednesday = wednesday.plusDays(1)

            val refused = assertThrows<CartableException.WouldBeRefused> {
                phone.book(lea.id, wednesday.toString(), "cantine")
            }
            assertEquals("Pas d'accueil le mercredi", refused.reason)
            assertEquals("not_running", refused.refusalCause)
            assertEquals("would_be_refused", refused.errorCode())
            assertEquals(refused.reason, refused.userMessage())
            assertEquals(0uL, phone.status().pendingChanges, "nothing written")
            // Insisting does not make the canteen run on Wednesdays.
            val invalid = assertThrows<CartableException.InvalidInput> {
                phone.bookInsisting(lea.id, wednesday.toString(), "cantine")
            }
            assertTrue(invalid.reason.contains("n'a pas lieu"), invalid.reason)

            val cell = phone.planningWeek(wednesday.toString()).rows.single { it.date == wednesday.toString() }
                .cells.single { it.childId == lea.id && it.activityId == "cantine" }
            assertTrue(cell.state is CellState.Closed, "${cell.state}")
            assertTrue(!cell.canBook)
        }
    }

    @Test
    fun `a canteen day in a closure is refused offline with the server's words, and by the server when insisting`() {
        signedIn().use { phone ->
            val lea = lea(phone)
            val earliest = today().plusDays(8)
            val day = phone.catalogue().closures
                .filter { it.activities.isEmpty() || "cantine" in it.activities }
                .flatMap { c ->
                    generateSequence(LocalDate.parse(c.from)) { it.plusDays(1) }
                        .takeWhile { !it.isAfter(LocalDate.parse(c.to)) }.toList()
                }
                .firstOrNull { !it.isBefore(earliest) && it.dayOfWeek.value in listOf(1, 2, 4, 5) }
            assumeTrue(day != null, "no closure ahead in the demo calendar")

            val offline = assertThrows<CartableException.WouldBeRefused> {
                phone.book(lea.id, day.toString(), "cantine")
            }
            assertTrue(offline.refusalCause in listOf("closure", "public_holiday"), offline.refusalCause)
            assertTrue(offline.reason.isNotBlank())

            phone.bookInsisting(lea.id, day.toString(), "cantine")
            phone.sync()
            val state = entry(phone, lea.id, day.toString(), "cantine").state
            assertEquals(RequestState.Refused(offline.reason), state)
        }
    }

    @Test
    fun `a canteen day past its booking deadline is refused offline with the deadline`() {
        signedIn().use { phone ->
            val lea = lea(phone)
            val view = phone.planningView(listOf(lea.id), today().toString(), today().plusDays(7).toString())
            val locked = view.rows.flatMap { it.cells }
                .firstOrNull { cell ->
                    val state = cell.state
                    cell.activityId == "cantine" && state is CellState.Locked && state.opensMs == null
                }
            assumeTrue(locked != null, "no locked canteen day this week in the demo calendar")

            val refused = assertThrows<CartableException.WouldBeRefused> {
                phone.book(lea.id, locked!!.date, "cantine")
            }
            assertEquals("deadline", refused.refusalCause)
            assertEquals((locked!!.state as CellState.Locked).reason, refused.reason)
        }
    }

    @Test
    fun `a bad date from the app is invalid input, not a crash`() {
        signedIn().use { phone ->
            val e = assertThrows<CartableException.InvalidInput> {
                phone.book(lea(phone).id, "03/12/2026", "cantine")
            }
            assertTrue(e.reason.contains("AAAA-MM-JJ"), e.reason)
        }
    }

    @Test
    fun `a weekly pattern is booked in one call and every cell is decided at the next sync`() {
        signedIn().use { phone ->
            val hugo = phone.dossier().children.single { it.firstName == "Hugo" }
            val cells = bookableCells(phone, 4, hugo.id, "garderie-soir")
            assumeTrue(cells.size == 4, "not enough bookable days ahead")
            val booking = BulkBooking(
                children = listOf(hugo.id),
                from = cells.first().date,
                to = cells.last().date,
                pattern = listOf(ActivityDays("garderie-soir", listOf(1u, 2u, 3u, 4u, 5u))),
            )
            val report = phone.bookPattern(booking)
            assertTrue(report.written >= 4uL, "$report")
            assertTrue(report.skipped.all { it.reason.isNotBlank() })
            assertTrue(report.skipped.all { it.cause != null }, "${report.skipped}")
            phone.sync()
            for (cell in cells) {
                assertEquals(RequestState.Accepted, entry(phone, hugo.id, cell.date, "garderie-soir").state)
            }
        }
    }

    @Test
    fun `an absence declared a week ahead is decided by the server and not billed`() {
        signedIn().use { phone ->
            val lea = lea(phone)
            val day = bookableCells(phone, 1, lea.id, "cantine").single().date
            phone.book(lea.id, day, "cantine")
            phone.sync()

            val report = phone.declareAbsence(lea.id, day, day, "rendez-vous médical", null)
            assertEquals(1uL, report.written)
            fun cell() = phone.planningWeek(day).rows.single { it.date == day }.cells
                .single { it.childId == lea.id && it.activityId == "cantine" }
            assertEquals(null, cell().absence?.outcome, "undecided until the next sync")

            phone.sync()
            val outcome = cell().absence?.outcome
            assertTrue(outcome != null, "${cell()}")
            assertEquals(false, outcome!!.billed, outcome.reason)
            assertTrue(outcome.reason.isNotBlank())
        }
    }
}
